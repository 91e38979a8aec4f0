"""The check scheduler in replicas: real schedulers, a real Redis, real HTTP on loopback.

Two schedulers share one Redis as two worker replicas do; the clock is frozen and moved a
second at a time, once everything due at that second has run and been recorded, so each
run's time says exactly which interval it belongs to."""
import asyncio
import multiprocessing
import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from csp_status import settings, worker_checks
from csp_status.checks import engine, storage
from csp_status.worker_checks import Scheduler

INTERVAL = 10


def checks_every(count: int, url: str, start: float, r) -> list[dict]:
    """``count`` checks every INTERVAL seconds, due at each second of the interval in turn."""
    checks = [{"id": f"c{i:02d}", "name": f"check {i}", "kind": "assertions", "url": url, "interval": INTERVAL,
               "conditions": ["[STATUS] == 200"]} for i in range(count)]
    for i, check in enumerate(checks):
        storage.save(r, check, next_run=start + i % INTERVAL)
    return checks


class Replica:
    """One scheduler serving on its own thread and event loop, as in a worker process."""

    def __init__(self, r, clock, tick_s: float = 0.01):
        config = {**settings.load({}), "CSP_ALLOW_PRIVATE_TARGETS": True}
        self.scheduler = Scheduler(r, config, clock, engine.Engine(concurrency=20, allow_private=True), tick_s=tick_s)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self.scheduler.serve(self.stop)), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture()
def replicas(r, clock):
    started: list[Replica] = []

    def start(count: int) -> list[Replica]:
        started.extend(Replica(r, clock) for _ in range(count))
        return started[-count:]

    yield start
    for replica in started:
        if replica.thread.is_alive():
            replica.close()


def settle(r, clock, replicas: list[Replica], timeout: float = 10) -> None:
    """Wait until every replica has looked at the clock's time (two ticks since) and has run
    and recorded all it claimed, and nothing is due any more."""
    seen = [replica.scheduler.ticks for replica in replicas]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        looked = all(replica.scheduler.ticks >= ticks + 2 for replica, ticks in zip(replicas, seen, strict=True))
        nothing_due = storage.due_with_configs(r, clock.now().timestamp(), 1) == ([], [])
        if looked and nothing_due and not any(replica.scheduler.busy for replica in replicas):
            return
        time.sleep(0.005)
    raise AssertionError("the schedulers did not run what was due")


def run_times(r, check: dict) -> list[float]:
    return sorted(result["ts"] for result in storage.results(r, check["id"], 100))


def test_two_schedulers_run_each_check_exactly_once_per_interval_and_share_the_work(r, clock, served, replicas):
    served.routes["/up"] = (200, {}, b"ok")
    start = clock.now().timestamp()
    checks = checks_every(30, served.url("/up"), start, r)
    pair = replicas(2)
    for second in range(6 * INTERVAL):  # six intervals, a second at a time
        clock.advance(seconds=1 if second else 0)
        settle(r, clock, pair)
    for check in checks:
        phase = int(check["name"].split()[1]) % INTERVAL
        # One run per interval, each at its due time: none twice, none missed, none late.
        assert run_times(r, check) == [start + phase + INTERVAL * k for k in range(6)], check["id"]
    ran = [replica.scheduler.ran for replica in pair]
    assert sum(ran) == 30 * 6 and min(ran) > 0, ran  # both replicas took a share


def test_when_one_scheduler_stops_the_other_runs_every_check_on_time(r, clock, served, replicas):
    served.routes["/up"] = (200, {}, b"ok")
    start = clock.now().timestamp()
    checks = checks_every(20, served.url("/up"), start, r)
    first, second = replicas(2)
    for moment in range(2 * INTERVAL):
        clock.advance(seconds=1 if moment else 0)
        settle(r, clock, [first, second])
    first.close()
    ran_before = second.scheduler.ran
    for _ in range(3 * INTERVAL):
        clock.advance(seconds=1)
        settle(r, clock, [second])
    for check in checks:
        phase = int(check["name"].split()[1]) % INTERVAL
        assert run_times(r, check) == [start + phase + INTERVAL * k for k in range(5)], check["id"]
    assert second.scheduler.ran - ran_before == 20 * 3  # every run of the last three intervals


def test_a_scheduler_that_was_away_skips_the_runs_it_missed_and_keeps_the_cadence(r, clock, served, replicas):
    served.routes["/up"] = (200, {}, b"ok")
    start = clock.now().timestamp()
    [check] = checks_every(1, served.url("/up"), start, r)
    clock.advance(seconds=3 * INTERVAL + 4)  # three runs missed; the fourth is 4 s late
    [replica] = replicas(1)
    settle(r, clock, [replica])
    clock.set(clock.now() + timedelta(seconds=INTERVAL - 4))  # the check's next due time
    settle(r, clock, [replica])
    assert run_times(r, check) == [start + 3 * INTERVAL + 4, start + 4 * INTERVAL]


def test_a_run_claimed_by_a_killed_scheduler_is_run_by_another_within_its_interval(r, clock, served, replicas):
    served.routes["/up"] = (200, {}, b"ok")
    start = clock.now().timestamp()
    checks = [{"id": f"k{i}", "name": f"killed {i}", "kind": "assertions", "url": served.url("/up"), "interval": 60,
               "timeout": 5, "conditions": ["[STATUS] == 200"]} for i in range(3)]
    for check in checks:
        storage.save(r, check, next_run=start)
    # What a replica killed -9 leaves: its claims made, its runs never recorded.
    assert len(worker_checks.claim(r, start, 100)) == 3
    [survivor] = replicas(1)
    for moment in range(61):
        clock.advance(seconds=1 if moment else 0)
        settle(r, clock, [survivor])
    recorded_by = start + 2 * 5 + 15  # twice the check's timeout and a margin: then the run is another's
    for check in checks:
        assert run_times(r, check) == [recorded_by, start + 60], check["id"]


def serve_until_killed(redis_url: str) -> None:
    from polystatus.clock import SystemClock
    from polystatus.redis_store import connect

    config = {**settings.load({}), "CSP_ALLOW_PRIVATE_TARGETS": True}
    scheduler = Scheduler(connect(redis_url), config, SystemClock(),
                          engine.Engine(concurrency=20, allow_private=True), tick_s=0.05)
    asyncio.run(scheduler.serve(threading.Event()))


def test_when_a_worker_process_is_killed_the_other_runs_every_check_from_the_next_interval(r, redis_url, served):
    from polystatus.clock import SystemClock

    served.routes["/up"] = (200, {}, b"ok")
    interval, start = 2, time.time() + 1.0
    checks = [{"id": f"p{i:02d}", "name": f"process {i}", "kind": "assertions", "url": served.url("/up"),
               "interval": interval, "timeout": 1, "conditions": ["[STATUS] == 200"]} for i in range(20)]
    for i, check in enumerate(checks):
        storage.save(r, check, next_run=start + interval * i / len(checks))
    killed = multiprocessing.get_context("fork").Process(target=serve_until_killed, args=(redis_url,), daemon=True)
    killed.start()
    survivor = Replica(r, SystemClock(), tick_s=0.05)
    try:
        time.sleep(start + 3 * interval - time.time())
        os.kill(killed.pid, signal.SIGKILL)
        killed.join(5)
        killed_at, by_survivor = time.time(), survivor.scheduler.ran
        time.sleep(4 * interval)
    finally:
        survivor.close()
    before = sum(1 for check in checks for ts in run_times(r, check) if ts < killed_at)
    assert before > by_survivor  # the killed worker was doing its share
    for i, check in enumerate(checks):
        due = start + interval * i / len(checks)
        slots = [int((ts - due) // interval) for ts in run_times(r, check)]
        assert len(slots) == len(set(slots)), (check["id"], slots)  # never twice in one interval
        # From the interval after the kill, every interval has its run.
        after = range(int((killed_at - due) // interval) + 1, int((time.time() - 1 - due) // interval))
        assert [slot for slot in slots if slot in after] == list(after), (check["id"], slots)
