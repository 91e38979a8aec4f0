"""Heartbeat pings in process (issue 16): what one ping costs, without HTTP or wrk.

A bench that runs the whole server (bench/pings.py) moves with the machine's load; this one
calls csp-status's WSGI app itself (the fast transport, as granian would) against a
throw-away redis-server, so a change to the ping's own path can be measured on a busy
machine. It reports, per ping: the Python time in this process (one thread, then THREADS
threads sharing the group commit), and the CPU redis-server spent (its INFO cpu).

    .venv/bin/python bench/pings_inprocess.py [--pings 20000] [--heartbeats 1000] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import threading
import time
from datetime import UTC, datetime

import redis
from csp_status.app import create_app
from csp_status.heartbeats import flows, storage
from polystatus.testing import ISSUER, KeySet, RedisServer

THREADS = 8
SORT = "tottime"


def environ(path: str) -> dict:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
            "HTTP_USER_AGENT": "wrk", "wsgi.input": io.BytesIO(b"")}


def redis_cpu(r: redis.Redis) -> tuple[float, float, int]:
    """(redis-server's CPU seconds, the µs its scripts ran, and how many script calls)."""
    info = r.info("cpu")
    stats = r.info("commandstats").get("cmdstat_evalsha", {"usec": 0, "calls": 0})
    return info["used_cpu_user"] + info["used_cpu_sys"], stats["usec"], stats["calls"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pings", type=int, default=20000)
    parser.add_argument("--heartbeats", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="cProfile the one-thread loop")
    parser.add_argument("--sort", default="tottime", help="the profile's order (tottime, cumulative)")
    args = parser.parse_args()
    global SORT
    SORT = args.sort
    server, keys = RedisServer(), KeySet()
    try:
        app = create_app({"REDIS_URL": server.url(4), "JWKS_URL": keys.url, "JWT_ISSUER": ISSUER,
                          "PINGS_PER_MINUTE": 100_000_000, "LOG_LEVEL": "WARNING"})
        r = app.extensions["redis"]
        now = datetime.now(UTC)
        ids = [flows.create(r, {"name": f"job {i}", "timeout": 3600, "grace": 60}, now=now)["id"]
               for i in range(args.heartbeats)]
        wsgi = app.wsgi_app
        answers = []

        def start_response(status, headers):
            answers.append(status)

        def run(n: int, offset: int, only: str | None = None) -> None:
            for k in range(n):
                target = only or ids[(k + offset) % len(ids)]
                wsgi(environ(f"/ping/{target}"), start_response)

        run(2000, 0)  # warm-up: every config in the cache, the script loaded
        results = {}
        for name, only in (("spread", None), ("hot", ids[0])):
            for threads in (1, THREADS):
                answers.clear()
                per = args.pings // threads
                before_cpu, before = redis_cpu(r), (time.perf_counter(), time.process_time())
                if threads == 1 and args.profile and name == "spread":
                    profiler = cProfile.Profile()
                    profiler.runcall(run, per, 0, only)
                else:
                    workers = [threading.Thread(target=run, args=(per, t * 7919, only)) for t in range(threads)]
                    for worker in workers:
                        worker.start()
                    for worker in workers:
                        worker.join()
                wall, cpu = time.perf_counter() - before[0], time.process_time() - before[1]
                after_cpu = redis_cpu(r)
                server_cpu = after_cpu[0] - before_cpu[0]
                script_us = (after_cpu[1] - before_cpu[1]) / max(1, after_cpu[2] - before_cpu[2])
                done = per * threads
                assert answers.count("200 OK") == done, set(answers)
                results[(name, threads)] = (wall / done * 1e6, cpu / done * 1e6, server_cpu / done * 1e6)
                print(f"{name:6} {threads} thread(s): {wall / done * 1e6:6.1f} µs wall, {cpu / done * 1e6:6.1f} µs "
                      f"CPU here, {server_cpu / done * 1e6:5.1f} µs CPU in redis-server per ping "
                      f"({script_us:4.1f} in the script)", flush=True)
                if threads == 1 and args.profile and name == "spread":
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats(SORT).print_stats(60)
                    print(out.getvalue())
        counted = sum(storage.parse_state(raw)["n_pings"] for raw in
                      redis.Redis.from_url(server.url(4), decode_responses=True).mget(
                          [storage.state_key(i) for i in ids]) if raw)
        print(f"pings counted in Redis: {counted}")
    finally:
        server.stop()
        keys.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
