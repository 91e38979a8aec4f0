"""Checks and heartbeats (issue 6).

1. Checks per second of one engine process (one core, asyncio) against a local keep-alive
   HTTP target (target >= 1,000/s).
2. Scheduling lag: 10,000 checks at a 60 s interval, spread over the minute, run by the real
   scheduler cycle (Redis claims, engine, result recording) for a little over a minute; p99 of
   how late each check started.
3. Heartbeat pings per second (GET /ping/<uuid> on csp-status) against a bare hello endpoint
   under the same server configuration, in the same run.

    .venv/bin/python bench/checks_engine.py [--checks 5000] [--schedule 10000] [--seconds 8]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time

from csp_status.checks import engine, schemas, storage
from csp_status.worker_checks import cycle
from loadgen import PYTHON, Rig, call, free_port, measure, wait_http
from polystatus.clock import SystemClock
from polystatus.redis_store import connect
from polystatus.testing import ISSUER

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
    parser.add_argument("--heartbeats", type=int, default=1000)
    parser.add_argument("--skip", nargs="*", default=[], choices=["scheduler"])
    args = parser.parse_args()
    target_port, csp_port, ref_port = free_port(), free_port(), free_port()
    with Rig() as rig:
        redis_server, keys = rig.redis(), rig.keys()
        rig.process([PYTHON, os.path.join(HERE, "target.py"), str(target_port)])
        wait_http(f"http://127.0.0.1:{target_port}/")
        rig.reference(ref_port)
        url = f"http://127.0.0.1:{target_port}/"
        # 1. one engine, one core
        checks = [http_check(i, url) for i in range(args.checks)]
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

        # 2. the scheduler with 10,000 checks at 60 s
        if "scheduler" in args.skip:
            args.schedule = 0
        r = connect(redis_server.url(4))
        now = time.time()
        pipe_checks = [http_check(i, url) for i in range(args.schedule)]
        for i, check in enumerate(pipe_checks):
            storage.save(r, check, next_run=now + 60.0 * i / args.schedule)
        config = {"CSP_ALLOW_PRIVATE_TARGETS": True}
        lags, ran = [], 0
        stop_at = time.monotonic() + 65
        clock = SystemClock()
        while args.schedule and time.monotonic() < stop_at:
            outcome = cycle(r, config, clock, runner)
            lags += outcome["lags"]
            ran += outcome["ran"]
            time.sleep(1)  # the worker's own pause between cycles
        lags.sort()
        lags = lags or [float("nan")]
        p99 = lags[int(len(lags) * 0.99) - 1] if lags else float("nan")
        print(f"scheduler: {ran} checks started in 65 s; lag median {statistics.median(lags):.2f} s, "
              f"p99 {p99:.2f} s, worst {lags[-1]:.2f} s")
        if ran < args.schedule:
            print("SOME CHECKS NEVER RAN")
            ok = False

        # 3. heartbeat pings against hello, same server configuration
        rig.service("csp_status.app:create_app", csp_port, {
            "REDIS_URL": redis_server.url(5), "JWKS_URL": keys.url, "JWT_ISSUER": ISSUER,
            "PINGS_PER_MINUTE": "100000000"})
        admin = {"Authorization": f"Bearer {keys.token('alice', expires_in=3600)}"}
        ids = []
        for i in range(args.heartbeats):
            status, heartbeat = call("POST", f"http://127.0.0.1:{csp_port}/heartbeats",
                                     {"name": f"job {i}", "timeout": 3600, "grace": 60}, admin)
            assert status == 201, heartbeat
            ids.append(heartbeat["id"])
        os.environ["PING_IDS"] = ",".join(ids)
        ref = measure("GET /hello (bare Flask)", f"http://127.0.0.1:{ref_port}/hello", seconds=args.seconds)
        spread = measure(f"GET /ping/<uuid> over {len(ids)} jobs", f"http://127.0.0.1:{csp_port}/",
                         seconds=args.seconds, script=os.path.join(HERE, "pings.lua"))
        hot = measure("GET /ping/<uuid>, one job, 64 at once", f"http://127.0.0.1:{csp_port}/ping/{ids[0]}",
                      seconds=args.seconds)
        print(f"heartbeat pings / hello requests per second: {spread['rps'] / ref['rps']:.2f} "
              f"(one hot job: {hot['rps'] / ref['rps']:.2f})")
        ok = ok and spread["non_2xx"] == 0 and hot["non_2xx"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    threading.excepthook = lambda args: None
    sys.exit(main())
