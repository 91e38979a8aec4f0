"""The event helpers of ARCHITECTURE.md section 3, against a real redis-server."""
import threading
import time

import pytest
import redis
from polystatus import events


@pytest.fixture()
def producer(redis_server, redis_url):
    return redis.Redis.from_url(redis_server.url(1), decode_responses=True)


@pytest.fixture()
def own(redis_server, redis_url):
    return redis.Redis.from_url(redis_server.url(2), decode_responses=True)


def change_and_publish(r: redis.Redis, name: str) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.hset(f"thing:{name}", mapping={"name": name})
    events.publish(pipe, "demo", "thing.created", {"name": name})
    pipe.execute()


def test_an_event_is_published_with_its_committed_change(producer):
    change_and_publish(producer, "a")
    entries = producer.xrange("events:demo")
    assert producer.hget("thing:a", "name") == "a"
    assert len(entries) == 1
    event = events.Event.from_entry(*entries[0])
    assert event.type == "thing.created" and event.data == {"name": "a"} and event.source == "demo"


def test_nothing_is_published_when_the_change_does_not_commit(producer, redis_server):
    """A WATCHed key changed by someone else aborts EXEC: neither the change nor the event."""
    producer.set("counter", 1)
    pipe = producer.pipeline(transaction=True)
    pipe.watch("counter")
    pipe.multi()
    pipe.set("counter", 2)
    events.publish(pipe, "demo", "counter.changed", {"to": 2})
    redis.Redis.from_url(redis_server.url(1)).set("counter", 99)  # a concurrent writer
    with pytest.raises(redis.WatchError):
        pipe.execute()
    assert producer.get("counter") == "99"
    assert producer.xlen("events:demo") == 0


def test_nothing_happens_unpublished_when_the_writer_dies_before_exec(producer):
    """A process that dies after queueing its change and its event, before EXEC: neither lands."""
    connection = producer.connection_pool.get_connection()
    connection.send_command("MULTI")
    assert connection.read_response() in (b"OK", "OK")
    connection.send_command("SET", "lost", "x")
    connection.read_response()
    connection.send_command("XADD", "events:demo", "*", "type", "lost.set", "data", "{}")
    assert connection.read_response() in (b"QUEUED", "QUEUED")
    connection.disconnect()  # the crash
    assert producer.get("lost") is None
    assert producer.xlen("events:demo") == 0


def consumer_for(producer, own, seen, *, name="c1", fail_on=None, claim_idle_ms=30_000):
    def handler(event, pipe):
        if fail_on and event.data["name"] == fail_on:
            raise RuntimeError("crash in the middle of the batch")
        seen.append(event.data["name"])
        pipe.rpush("handled-names", event.data["name"])

    return events.Consumer(source=producer, stream="events:demo", group="tester", own=own,
                           handler=handler, name=name, block_ms=10, claim_idle_ms=claim_idle_ms)


def test_a_consumer_handles_each_event_once_and_acks_it(producer, own):
    seen = []
    consumer = consumer_for(producer, own, seen)
    consumer.ensure_group()
    for name in "abc":
        change_and_publish(producer, name)
    consumer.run_once()
    consumer.run_once()
    assert seen == ["a", "b", "c"]
    assert own.lrange("handled-names", 0, -1) == ["a", "b", "c"]
    assert producer.xpending("events:demo", "tester")["pending"] == 0


def test_a_consumer_that_crashes_mid_batch_gets_its_entries_back(producer, own):
    seen = []
    crashing = consumer_for(producer, own, seen, name="dies", fail_on="b", claim_idle_ms=0)
    crashing.ensure_group()
    for name in "abc":
        change_and_publish(producer, name)
    crashing.run_once()  # handles a, fails on b (left pending), handles c
    assert producer.xpending("events:demo", "tester")["pending"] == 1
    # The crashed process is gone; another consumer reclaims the stuck entry with XAUTOCLAIM.
    survivor = consumer_for(producer, own, seen, name="survivor", claim_idle_ms=0)
    survivor.run_once()
    assert sorted(seen) == ["a", "b", "c"]
    assert producer.xpending("events:demo", "tester")["pending"] == 0


def test_a_redelivered_event_already_handled_is_not_handled_twice(producer, own):
    """Crash after the handler's commit but before XACK: the marker makes it a no-op."""
    seen = []
    consumer = consumer_for(producer, own, seen, claim_idle_ms=0)
    consumer.ensure_group()
    change_and_publish(producer, "a")
    original_xack = producer.xack
    producer.xack = lambda *a, **k: 0  # the process "dies" right before acknowledging
    consumer.run_once()
    producer.xack = original_xack
    assert producer.xpending("events:demo", "tester")["pending"] == 1
    other = consumer_for(producer, own, seen, name="other", claim_idle_ms=0)
    other.run_once()
    assert seen == ["a"]
    assert own.lrange("handled-names", 0, -1) == ["a"]
    assert producer.xpending("events:demo", "tester")["pending"] == 0


def test_events_wait_for_a_consumer_that_is_down(producer, own):
    seen = []
    consumer = consumer_for(producer, own, seen)
    consumer.ensure_group()
    for i in range(100):
        change_and_publish(producer, f"n{i}")
    # the consumer "comes back": everything published meanwhile is handled
    while consumer.run_once():
        pass
    assert len(seen) == 100 and len(set(seen)) == 100


def test_trim_keeps_what_a_group_has_not_read(producer, own):
    seen = []
    consumer = consumer_for(producer, own, seen)
    consumer.ensure_group()
    for name in "ab":
        change_and_publish(producer, name)
    consumer.run_once()
    for name in "cd":
        change_and_publish(producer, name)
    # Everything is "old" (max age 0), but c and d are unread: only a and b may go.
    events.trim(producer, "events:demo", max_age_s=0, now_ms=10**13)
    remaining = [events.Event.from_entry(*e).data["name"] for e in producer.xrange("events:demo")]
    assert "c" in remaining and "d" in remaining and "a" not in remaining


def test_a_handler_that_always_fails_is_parked_not_lost(producer, own):
    seen = []
    consumer = consumer_for(producer, own, seen, fail_on="bad", claim_idle_ms=0)
    consumer.max_attempts = 3
    consumer.ensure_group()
    change_and_publish(producer, "bad")
    for _ in range(5):
        consumer.run_once()
    assert producer.xpending("events:demo", "tester")["pending"] == 0
    parked = own.xrange("parked:tester")
    assert len(parked) == 1 and '"bad"' in parked[0][1]["data"]


def test_run_stops_when_asked(producer, own):
    consumer = consumer_for(producer, own, [])
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,))
    thread.start()
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_a_failed_event_is_retried_by_its_own_consumer_soon_not_after_the_claim_delay(producer, own, monkeypatch):
    monkeypatch.setattr(events, "RETRY_PENDING_S", 0.05)
    seen, broken = [], {"b"}

    def handler(event, pipe):
        if event.data["name"] in broken:
            raise RuntimeError("users is away")
        seen.append(event.data["name"])

    consumer = events.Consumer(source=producer, stream="events:demo", group="tester", own=own, handler=handler,
                               name="c1", block_ms=10, claim_idle_ms=3_600_000)  # XAUTOCLAIM would wait an hour
    consumer.ensure_group()
    for name in "abc":
        change_and_publish(producer, name)
    consumer.run_once()
    assert seen == ["a", "c"]
    broken.clear()  # the backing service is back
    time.sleep(0.1)
    consumer.run_once()
    assert seen == ["a", "c", "b"] and producer.xpending("events:demo", "tester")["pending"] == 0
