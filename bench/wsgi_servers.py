"""Which production WSGI server serves PolyStatus: measured, not assumed (issue 2).

Runs the bare hello endpoint (bench/hello_app.py) under each candidate with the same worker
count, loads each with the same wrk settings in this one run, and prints requests/s and p99.
The winner is what `polystatus.serve` starts.

    .venv/bin/python bench/wsgi_servers.py [--seconds 8] [--workers 2] [--connections 64]
"""
from __future__ import annotations

import argparse
import sys

from loadgen import free_port, serve_cmd, start, stop, wait_http, wrk

CANDIDATES = ["gunicorn", "gunicorn-gthread", "granian"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()

    results = {}
    for server in CANDIDATES:
        port = free_port()
        process = start(serve_cmd(server, "bench.hello_app:create_app", port, args.workers))
        try:
            wait_http(f"http://127.0.0.1:{port}/hello")
            wrk(f"http://127.0.0.1:{port}/hello", seconds=2, connections=args.connections)  # warm-up
            results[server] = wrk(f"http://127.0.0.1:{port}/hello", seconds=args.seconds,
                                  connections=args.connections)
        finally:
            stop(process)
        print(f"{server:<10} {results[server]['rps']:>10.0f} req/s   p99 {results[server]['p99_ms']:>8.2f} ms"
              f"   non-2xx {results[server]['non_2xx']}", flush=True)

    best = max(results, key=lambda name: results[name]["rps"])
    others = [name for name in results if name != best]
    for other in others:
        print(f"{best} / {other}: {results[best]['rps'] / results[other]['rps']:.2f}x requests/s, "
              f"p99 {results[best]['p99_ms']:.2f} ms vs {results[other]['p99_ms']:.2f} ms")
    print(f"winner: {best}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
