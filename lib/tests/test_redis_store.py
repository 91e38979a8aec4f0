"""polystatus.redis_store against real servers: a primary with a replica, a Sentinel that
fails over, and a Redis that never answers."""
from __future__ import annotations

import socket
import time

import pytest
import redis
from polystatus import errors
from polystatus.redis_store import commit, connect, parse_sentinel_url, replicated
from polystatus.settings import SettingsError, env_redis_url
from polystatus.testing import RedisServer, SentinelServer


def test_a_sentinel_url_names_its_sentinels_master_database_and_password():
    target = parse_sentinel_url("rediss+sentinel://:s3cret@h1:26379,[::1]:26380,h3/mymaster/4?sentinel_password=x")
    assert target.sentinels == (("h1", 26379), ("::1", 26380), ("h3", 26379))
    assert (target.master, target.db, target.password, target.sentinel_password, target.ssl) == \
        ("mymaster", 4, "s3cret", "x", True)
    assert parse_sentinel_url("redis+sentinel://h1:26379/polystatus").db == 0


@pytest.mark.parametrize("url", ["redis+sentinel://h1:26379", "redis+sentinel://h1:nope/m/1",
                                 "redis+sentinel://h1:26379/m/one", "redis+sentinel:///m/1"])
def test_a_malformed_sentinel_url_stops_the_service_at_start_naming_the_setting(url):
    with pytest.raises(SettingsError, match="REDIS_URL"):
        env_redis_url({"REDIS_URL": url}, "REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def pair():
    primary = RedisServer()
    replica = RedisServer(replica_of=primary.port)
    client = redis.Redis(port=primary.port)
    deadline = time.monotonic() + 10
    while client.info("replication").get("slave0", {}).get("state") != "online":
        assert time.monotonic() < deadline, "the replica never caught up"
        time.sleep(0.05)
    yield primary, replica
    replica.stop()
    primary.stop()


def test_a_committed_write_is_on_the_replica_when_commit_returns(pair):
    primary, replica = pair
    r = connect(primary.url(3))
    on_replica = redis.Redis(port=replica.port, db=3, decode_responses=True)
    for i in range(50):
        pipe = r.pipeline(transaction=True)
        pipe.set(f"incident:{i}", "x" * 1000)
        commit(pipe)
        assert replicated.get() == 1
        assert on_replica.get(f"incident:{i}") == "x" * 1000, f"write {i} acknowledged before the replica had it"


def test_a_replica_that_does_not_answer_leaves_the_write_acknowledged_and_marked(pair):
    primary, replica = pair
    r = connect(primary.url(3), wait_timeout_ms=200)
    replica.process.send_signal(__import__("signal").SIGSTOP)
    try:
        pipe = r.pipeline(transaction=True)
        pipe.set("orphan", "1")
        started = time.monotonic()
        commit(pipe)
        took = time.monotonic() - started
    finally:
        replica.process.send_signal(__import__("signal").SIGCONT)
    assert replicated.get() == 0
    assert 0.15 < took < 1.0
    assert r.get("orphan") == "1"


def test_with_no_replica_commit_does_not_wait(redis_url):
    r = connect(redis_url, wait_timeout_ms=2000)
    started = time.monotonic()
    for i in range(20):
        pipe = r.pipeline(transaction=True)
        pipe.set(f"k{i}", i)
        commit(pipe)
    assert time.monotonic() - started < 1.0
    assert replicated.get() is None


def test_a_frozen_redis_costs_one_timeout_and_is_not_asked_twice():
    frozen = socket.socket()
    frozen.bind(("127.0.0.1", 0))
    frozen.listen(16)  # accepted by the kernel, never answered
    try:
        r = connect(f"redis://127.0.0.1:{frozen.getsockname()[1]}/0", timeout=0.3)
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError) as caught:
            r.get("anything")
        took = time.monotonic() - started
    finally:
        frozen.close()
    assert errors.storage_unavailable(caught.value)
    assert took < 0.8, f"a frozen Redis held the caller {took:.2f} s"


def test_a_client_on_a_sentinel_url_follows_a_failover_by_itself():
    primary = RedisServer()
    replica = RedisServer(replica_of=primary.port)
    sentinel = SentinelServer(primary.port, down_after_ms=1000)
    try:
        r = connect(f"redis+sentinel://127.0.0.1:{sentinel.port}/polystatus/2", timeout=0.5)
        deadline = time.monotonic() + 10
        while r.connected_replicas() < 1:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        pipe = r.pipeline(transaction=True)
        pipe.set("before", "1")
        commit(pipe)
        assert replicated.get() == 1
        primary.process.kill()
        primary.process.wait(5)
        answers, started = [], time.monotonic()
        while time.monotonic() - started < 20:
            try:
                r.set("after", "1")
                break
            except redis.RedisError as exc:
                assert errors.storage_unavailable(exc), f"{type(exc).__name__} is not 'unavailable for now'"
                answers.append(type(exc).__name__)
                time.sleep(0.1)
        back_in = time.monotonic() - started
        on_new = redis.Redis(port=replica.port, db=2, decode_responses=True)
        assert on_new.get("after") == "1" and on_new.get("before") == "1"
        assert back_in < 10, f"writes came back {back_in:.1f} s after the primary died ({set(answers)})"
    finally:
        sentinel.stop()
        replica.stop()
        primary.stop()


def test_a_late_reply_to_a_timed_out_command_is_never_read_as_the_next_ones_answer():
    """A frozen primary behind Sentinel: commands and transactions time out; once it thaws,
    the replies they were owed arrive. Every later command must still get its own answer."""
    import signal
    import threading

    primary = RedisServer()
    sentinel = SentinelServer(primary.port, down_after_ms=60_000)
    try:
        r = connect(f"redis+sentinel://127.0.0.1:{sentinel.port}/polystatus/0", timeout=0.2)
        for i in range(8):
            r.set(f"key:{i}", f"value {i}")
        wrong, stop = [], threading.Event()

        def reader(i: int) -> None:
            while not stop.is_set():
                try:
                    value = r.get(f"key:{i}")
                    if value != f"value {i}":
                        wrong.append((i, value))
                    pipe = r.pipeline(transaction=True)
                    pipe.set(f"written:{i}", "x")
                    pipe.get(f"key:{i}")
                    answers = pipe.execute()
                    if answers != [True, f"value {i}"]:
                        wrong.append((i, answers))
                except redis.RedisError:
                    pass

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for _ in range(3):
            time.sleep(0.3)
            primary.process.send_signal(signal.SIGSTOP)
            time.sleep(0.5)
            primary.process.send_signal(signal.SIGCONT)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(5)
    finally:
        sentinel.stop()
        primary.stop()
    assert wrong == [], f"answers read for the wrong command: {wrong[:5]}"
