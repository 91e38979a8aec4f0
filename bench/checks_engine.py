"""Checks and heartbeats (issue 6).

1. Checks per second of one engine process (one core, asyncio) against a local keep-alive
   HTTP target (target >= 1,000/s).
2. Scheduling lag: N checks (--schedule, default 10,000) at a 60 s interval, spread over the
   minute, run by the real scheduler (Redis claims, engine, batched result writes) in one
   worker process, then in two against the same Redis, for a little over a minute: median and
   p99 of how late each check really started, double runs and missed runs (from the results in
   Redis), how the runs were shared, and the load average (target p99 < 1 s).
3. sql checks (issue 17) against the PostgreSQL on 127.0.0.1:5432: `SELECT 1` checks per second
   through the engine (its bounded driver threads) against the same queries made by a bare
   thread pool of the same size calling psycopg directly (ratio, target >= 0.8); and HTTP checks
   run beside slow queries (pg_sleep) against the same HTTP checks alone (ratio: ~1 when a slow
   database holds nothing up).
(Heartbeat pings have their own script: bench/pings.py.)

    .venv/bin/python bench/checks_engine.py [--checks 5000] [--schedule 10000] [--seconds 8] [--sql 400]
        [--workers 1 2] [--skip engine scheduler]
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

from csp_status import settings
from csp_status.checks import engine, schemas, storage
from loadgen import PYTHON, Rig, free_port, wait_http
from polystatus.clock import SystemClock
from polystatus.redis_store import connect

HERE = os.path.dirname(os.path.abspath(__file__))


def http_check(i: int, url: str) -> dict:
    check = schemas.CheckIn().load({"name": f"check {i}", "kind": "assertions", "url": url,
                                    "conditions": ["[STATUS] == 200"], "interval": 60})
    return {"id": f"c{i:05d}", **check}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--schedule", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--sql", type=int, default=400, help="sql checks in part 3 (0: skip it)")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker processes, one run each")
    parser.add_argument("--skip", nargs="*", default=[], choices=["engine", "scheduler"])
    parser.add_argument("--serve", nargs=2, metavar=("REDIS_URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(*args.serve)
    target_port = free_port()
    with Rig() as rig:
        redis_server = rig.redis()
        rig.process([PYTHON, os.path.join(HERE, "target.py"), str(target_port)])
        wait_http(f"http://127.0.0.1:{target_port}/")
        url = f"http://127.0.0.1:{target_port}/"
        # 1. one engine, one core
        checks = [http_check(i, url) for i in range(args.checks)]
        ok = True
        if "engine" not in args.skip:
            ok = engine_rate(checks)

        # 2. the scheduler: N checks at 60 s, one worker process, then two
        if "scheduler" not in args.skip and args.schedule:
            for db, workers in enumerate(args.workers, start=4):
                ok = schedule(redis_server.url(db), url, args.schedule, workers) and ok

        # 3. sql checks on driver threads, and HTTP checks beside slow queries
        if args.sql:
            ok = sql_checks(args.sql, checks[:2000]) and ok
    return 0 if ok else 1


def engine_rate(checks: list[dict]) -> bool:
    runner = engine.Engine(concurrency=100, allow_private=True)
    runner.run(checks[:200])  # warm-up
    started = time.perf_counter()
    results = runner.run(checks)
    elapsed = time.perf_counter() - started
    failed = sum(1 for result in results if not result["ok"])
    rate = len(checks) / elapsed
    print(f"engine: {len(checks)} HTTP checks in {elapsed:.2f} s = {rate:.0f} checks/s ({failed} failed)")
    ok = rate >= 1000 and failed == 0
    print(f"checks per second, one engine process: {rate:.0f} (target >= 1000) {'PASS' if ok else 'FAIL'}")
    return ok


def load_average() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def schedule(redis_url: str, url: str, count: int, workers: int, seconds: float = 65.0) -> bool:
    """``count`` checks at a 60 s interval spread over the minute, run for ``seconds`` by
    ``workers`` worker processes (each the real Scheduler: Redis claims, the engine, batched
    result writes) against the same Redis. Lag: how late each check really started (when a
    runner took it) after its due time; worker CPU: the processes' own, start included. Then, from the results in Redis: no check ran
    twice in one interval, none missed its run, and how the runs were shared."""
    r = connect(redis_url)
    outs = [f"/tmp/checks-bench-{os.getpid()}-{workers}-{n}.json" for n in range(workers)]  # noqa: S108
    procs = [subprocess.Popen([PYTHON, os.path.abspath(__file__), "--serve", redis_url, out], stdout=subprocess.PIPE)
             for out in outs]
    for proc in procs:  # each says "ready" after its first tick: started and warm before any check is due
        assert proc.stdout.readline().strip() == b"ready"
    template = http_check(0, url)  # one through the schema: 50,000 of them would take longer than a minute
    checks = [{**template, "id": f"c{i:05d}", "name": f"check {i}"} for i in range(count)]
    storage.save_many(r, [(check, time.time() + 86400) for check in checks])  # not due yet
    first_due = time.time() + 3.0  # the machine settled after the burst of writes above
    storage.schedule(r, {check["id"]: first_due + 60.0 * i / count for i, check in enumerate(checks)})
    if time.time() > first_due:
        print("the checks were scheduled after the first was due: the figures below are not the scheduler's")
    until = first_due + seconds
    time.sleep(max(0.0, until - time.time()))
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait()
    reports = []
    for out in outs:
        with open(out, encoding="utf-8") as handle:
            reports.append(json.load(handle))
        os.unlink(out)
    lags = sorted(lag for report in reports for _, lag in report["lags"])
    by_second: dict[int, float] = {}
    for report in reports:
        for due, lag in report["lags"]:
            by_second[int(due - first_due)] = max(by_second.get(int(due - first_due), 0.0), lag)
    ran = sum(report["ran"] for report in reports)
    # Every run in Redis, by the interval it belongs to: none twice, none missing from an
    # interval whose due time fell inside the window.
    doubles = gaps = failed = 0
    for i in range(count):
        due = first_due + 60.0 * i / count
        runs = storage.results(r, f"c{i:05d}", 10)
        # A run that failed (the target refused, a timeout) made no HTTP exchange worth timing.
        failed += sum(1 for run in runs if not run["ok"])
        # The slot (interval) each run belongs to: its start minus its due time, in intervals.
        slots = [int((run["ts"] - due) // 60) for run in runs]
        doubles += len(slots) - len(set(slots))
        gaps += sum(1 for slot in range(2 if due + 60 < until - 1 else 1) if slot not in slots)
    p50 = statistics.median(lags) if lags else float("nan")
    p99 = lags[int(len(lags) * 0.99) - 1] if lags else float("nan")
    shares = " + ".join(str(report["ran"]) for report in reports)
    cpu_ms = 1000 * sum(report["cpu_s"] for report in reports) / max(1, ran)
    pauses = [pause for report in reports for pause in report["gc_pauses"]]
    print(f"scheduler, {count} checks at 60 s, {workers} worker(s) for {seconds:.0f} s: {ran} runs ({shares}); "
          f"start lag median {p50:.3f} s, p99 {p99:.3f} s, worst {lags[-1] if lags else float('nan'):.2f} s; "
          f"{doubles} double runs, {gaps} missed, {failed} failed; worker CPU {cpu_ms:.2f} ms per run; {len(pauses)} full "
          f"collections, longest {max(pauses, default=0):.2f} s; {load_average()} "
          "(p99 target < 1 s) "
          f"{'PASS' if p99 < 1 and not doubles and not gaps and not failed else 'FAIL'}")
    print("  worst lag by second of the minute: " + " ".join(f"{second}:{lag:.1f}" for second, lag
                                                           in sorted(by_second.items()) if lag >= 0.5))
    return p99 < 1 and not doubles and not gaps and not failed


def serve(redis_url: str, out: str) -> int:
    """One worker process of ``schedule``: the real Scheduler until SIGTERM, as the worker runs it."""
    from csp_status.worker_checks import Scheduler, settle_heap

    r = connect(redis_url)
    config = {**settings.load({}), "CSP_ALLOW_PRIVATE_TARGETS": True}  # every key a tick reads
    scheduler = Scheduler(r, config, SystemClock(), engine.Engine(concurrency=config["CHECK_CONCURRENCY"],
                                                                  allow_private=True), lags_kept=2_000_000)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    pauses: list[float] = []  # the collector's full passes: a worker-wide pause each
    started: list[float] = []

    def collected(phase, info):
        if info["generation"] == 2:
            if phase == "start":
                started[:] = [time.perf_counter()]
            elif started:
                pauses.append(time.perf_counter() - started[0])

    gc.callbacks.append(collected)
    settle_heap()  # as worker_checks.run does

    async def ready():
        while scheduler.ticks == 0:
            await asyncio.sleep(0.05)
        print("ready", flush=True)

    async def main():
        await asyncio.gather(scheduler.serve(stop), ready())

    asyncio.run(main())
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"ran": scheduler.ran, "lags": list(scheduler.lags), "cpu_s": time.process_time(),
                   "gc_pauses": pauses}, handle)
    return 0


def sql_checks(count: int, http_checks: list[dict], threads: int = 16) -> bool:
    import concurrent.futures

    import psycopg

    dsn = "postgresql://postgres@127.0.0.1:5432/test"
    sql = [{"id": f"q{i}", "name": f"query {i}", "kind": "sql", "dsn": dsn, "query": "SELECT 1 AS one",
            "conditions": ["[ROWS][0].one == 1"], "timeout": 10} for i in range(count)]
    runner = engine.Engine(concurrency=100, allow_private=True, blocking_concurrency=threads)
    try:
        runner.run(sql[:threads])  # warm-up
        started = time.perf_counter()
        results = runner.run(sql)
        engine_rate = count / (time.perf_counter() - started)
        failed = sum(1 for result in results if not result["ok"])

        def bare(_):
            with psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test") as conn:
                return conn.execute("SELECT 1").fetchone()[0] == 1

        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            started = time.perf_counter()
            bare_ok = sum(pool.map(bare, range(count)))
            bare_rate = count / (time.perf_counter() - started)
        ratio = engine_rate / bare_rate
        print(f"sql: {count} checks at {engine_rate:.0f}/s through the engine ({failed} failed), {bare_rate:.0f}/s "
              f"by a bare pool of {threads} psycopg threads ({count - bare_ok} failed): ratio {ratio:.2f} (target >= 0.8)")
        slow = [{**sql[0], "id": f"s{i}", "query": "SELECT pg_sleep(1)", "conditions": []} for i in range(threads)]
        started = time.perf_counter()
        runner.run(http_checks)
        alone = time.perf_counter() - started
        started = time.perf_counter()
        beside = runner.run([*slow, *http_checks])
        http_done = max(r["response_time_ms"] for r in beside[threads:]) / 1000
        together = time.perf_counter() - started
        print(f"http beside slow sql: {len(http_checks)} HTTP checks alone {alone:.2f} s; with {threads} one-second "
              f"queries in the batch {together:.2f} s (slowest HTTP check {http_done:.2f} s)")
    finally:
        runner.close()
    return ratio >= 0.8 and failed == 0


if __name__ == "__main__":
    threading.excepthook = lambda args: None
    sys.exit(main())
