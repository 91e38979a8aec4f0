"""Group commit: many threads, one script, shared round trips, and each caller its own answer."""
import contextlib
import threading
import time

import pytest
import redis
from polystatus.groupcommit import GroupCommit
from polystatus.redis_store import connect
from polystatus.testing import RedisServer, SentinelServer

# Counts one call and answers which call it was, so a mixed-up answer shows.
COUNT = """
if ARGV[1] == 'boom' then return redis.error_reply('refused: boom') end
local n = redis.call('INCR', KEYS[1])
return {ARGV[1], n}
"""


def in_threads(count, work):
    errors = []

    def run(i):
        try:
            work(i)
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a caller never got its answer"
    return errors


def test_every_caller_gets_its_own_answer_when_many_threads_call_at_once(redis_url):
    r = connect(redis_url)
    script = GroupCommit(r, COUNT)
    seen = {}

    def work(i):
        for j in range(200):
            me = f"{i}-{j}"
            answer, n = script(["calls"], [me])
            assert answer == me
            seen[me] = int(n)

    assert in_threads(16, work) == []
    assert len(seen) == 3200 and int(r.get("calls")) == 3200
    assert sorted(seen.values()) == list(range(1, 3201))  # every call ran exactly once
    assert script.calls == 3200 and script.round_trips < script.calls  # and they shared round trips


def test_a_lone_caller_is_answered_in_one_round_trip(redis_url):
    r = connect(redis_url)
    r.script_load(COUNT)
    script = GroupCommit(r, COUNT)
    assert [script(["calls"], ["a"]), script(["calls"], ["b"])] == [["a", 1], ["b", 2]]
    assert script.round_trips == 2


def test_it_loads_the_script_again_when_redis_has_forgotten_it(redis_url):
    r = connect(redis_url)
    script = GroupCommit(r, COUNT)
    assert script(["calls"], ["a"]) == ["a", 1]
    r.script_flush()  # as after a Redis restart
    assert in_threads(8, lambda i: script(["calls"], [str(i)])) == []
    assert int(r.get("calls")) == 9  # the refused calls ran once each after the reload


def test_a_script_error_reaches_only_its_own_caller(redis_url):
    r = connect(redis_url)
    script = GroupCommit(r, COUNT)
    answers = {}

    def work(i):
        try:
            answers[i] = script(["calls"], ["boom" if i % 4 == 0 else str(i)])
        except redis.ResponseError as exc:
            answers[i] = str(exc)

    assert in_threads(16, work) == []
    assert all("refused: boom" in answers[i] for i in range(0, 16, 4))
    assert all(answers[i][0] == str(i) for i in range(16) if i % 4)
    assert int(r.get("calls")) == 12


def test_when_redis_is_unreachable_every_caller_hears_it_and_none_hangs():
    # A port nothing listens on: each batch fails, and the queue is not left waiting for a leader.
    script = GroupCommit(connect("redis://127.0.0.1:9/0", timeout=0.5), COUNT)
    errors = in_threads(8, lambda i: script(["calls"], [str(i)]))
    assert len(errors) == 8 and all(isinstance(exc, redis.ConnectionError) for exc in errors)
    with pytest.raises(redis.ConnectionError):
        script(["calls"], ["again"])


def test_a_connection_the_server_closed_is_made_again_and_the_call_runs_once(redis_url):
    r = connect(redis_url)
    script = GroupCommit(r, COUNT)
    assert script(["calls"], ["a"]) == ["a", 1]
    # As a restarted server or an idle timeout would: every client connection is closed.
    r.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no")
    assert script(["calls"], ["b"]) == ["b", 2]
    assert int(r.get("calls")) == 2


# Busy for ARGV[1] ms before answering: longer than the client waits, the answer comes late.
SLOW = """
local start = redis.call('TIME')
local function ms() local t = redis.call('TIME') return (t[1] - start[1]) * 1000 + (t[2] - start[2]) / 1000 end
while ms() < tonumber(ARGV[1]) do end
return ARGV[2]
"""


def test_an_answer_that_comes_after_the_timeout_is_never_taken_for_the_next_calls(redis_url):
    script = GroupCommit(connect(redis_url, timeout=0.2), SLOW)
    script([], ["0", "warm"])  # loaded, so the slow call is one plain round trip
    with pytest.raises(redis.TimeoutError):
        script([], ["500", "late"])
    time.sleep(0.5)  # the late answer has arrived by now, on the connection given up on
    assert script([], ["0", "mine"]) == "mine"


def test_after_a_sentinel_failover_the_calls_go_to_the_new_primary():
    # The connection the group commit keeps is to the primary that dies: it must be made again
    # to the one Sentinel elects, not to the old address.
    primary = RedisServer()
    replica = RedisServer(replica_of=primary.port)
    sentinel = SentinelServer(primary.port, down_after_ms=1000)
    try:
        r = connect(f"redis+sentinel://127.0.0.1:{sentinel.port}/polystatus/0", timeout=0.5)
        script = GroupCommit(r, COUNT)
        deadline = time.monotonic() + 10
        while r.connected_replicas() < 1:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert script(["calls"], ["before"]) == ["before", 1]
        new_primary = redis.Redis(port=replica.port, decode_responses=True)
        deadline = time.monotonic() + 10
        while new_primary.get("calls") != "1":  # replicated before the primary dies
            assert time.monotonic() < deadline
            time.sleep(0.05)
        primary.process.kill()
        primary.process.wait(5)
        answered, deadline = None, time.monotonic() + 15
        while answered is None:
            assert time.monotonic() < deadline, "the calls never reached the new primary"
            with contextlib.suppress(redis.RedisError):  # no primary for a moment: callers are told
                answered = script(["calls"], ["after"])
            time.sleep(0.1)
        assert answered == ["after", 2] and new_primary.get("calls") == "2"
        assert new_primary.info("replication")["role"] == "master"
    finally:
        sentinel.stop()
        replica.stop()
        primary.stop()
