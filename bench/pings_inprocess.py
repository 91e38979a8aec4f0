"""Heartbeat pings in process (issue 16): what one ping costs, without HTTP or wrk.

A bench that runs the whole server (bench/pings.py) moves with the machine's load; this one
calls csp-status's WSGI app itself (the fast transport, as granian would) against a
throw-away redis-server, so a change to the ping's own path can be measured on a busy
machine. It reports, per ping: the Python time in this process (one thread, then THREADS
threads sharing the group commit), and the CPU redis-server spent (its INFO cpu), each the
best of several runs (a busy machine only ever adds to them).

    .venv/bin/python bench/pings_inprocess.py [--pings 20000] [--repeats 5] [--heartbeats 1000] [--profile]
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
    parser.add_argument("--repeats", type=int, default=5, help="each figure is the best of this many runs")
    parser.add_argument("--profile", action="store_true", help="first, cProfile one thread's pings")
    parser.add_argument("--sort", default="tottime", help="the profile's order (tottime, cumulative)")
    args = parser.parse_args()
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
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(run, args.pings, 0)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(60)
            print(out.getvalue())
        total = 2000 + (args.pings if args.profile else 0)
        for name, only in (("spread", None), ("hot", ids[0])):
            for threads in (1, THREADS):
                best = None
                for _ in range(args.repeats):
                    answers.clear()
                    per = args.pings // args.repeats // threads
                    before_redis, before = redis_cpu(r), (time.perf_counter(), time.process_time())
                    workers = [threading.Thread(target=run, args=(per, t * 7919, only)) for t in range(threads)]
                    for worker in workers:
                        worker.start()
                    for worker in workers:
                        worker.join()
                    wall, cpu = time.perf_counter() - before[0], time.process_time() - before[1]
                    after_redis = redis_cpu(r)
                    done = per * threads
                    total += done
                    assert answers.count("200 OK") == done, set(answers)
                    seen = (wall / done * 1e6, cpu / done * 1e6, (after_redis[0] - before_redis[0]) / done * 1e6,
                            (after_redis[1] - before_redis[1]) / max(1, after_redis[2] - before_redis[2]))
                    best = seen if best is None else tuple(map(min, best, seen))
                print(f"{name:6} {threads} thread(s): {best[0]:6.1f} µs wall, {best[1]:6.1f} µs CPU here, "
                      f"{best[2]:5.1f} µs CPU in redis-server per ping ({best[3]:4.1f} in the script)", flush=True)
        counted = sum(storage.parse_state(raw)["n_pings"] for raw in
                      redis.Redis.from_url(server.url(4), decode_responses=True).mget(
                          [storage.state_key(i) for i in ids]) if raw)
        print(f"pings counted in Redis: {counted} of {total} answered")
        if counted != total:
            return 1
    finally:
        server.stop()
        keys.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
