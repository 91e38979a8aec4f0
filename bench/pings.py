"""Heartbeat pings (issue 16): the hottest write after reports.

In one run, under the same server configuration (granian, same workers and threads): GET
/ping/<uuid> on csp-status, spread over 1,000 jobs and on one job pinged by 64 clients at once,
against a bare Flask hello. Each ping is one atomic Lua script (no WATCH, so a hot job costs no
retries). Rounds alternate (hello, spread, hot, then the other way round) and are compared on
their totals, because the throughput of the same endpoint drifts from one minute to the next
on a small shared machine. All three go through the same wrk script (bench/pings.lua), which
counts the 200 answers; afterwards the pings counted in Redis must be at least those answered
(none lost), and at most one more per connection and round (answered after wrk stopped).

    .venv/bin/python bench/pings.py [--seconds 5] [--rounds 2] [--heartbeats 1000]
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time

import redis
from csp_status.heartbeats import storage
from loadgen import Rig, call, free_port, verdict, wrk
from polystatus.testing import ISSUER

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "pings.lua")
CONNECTIONS = 64


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5, help="length of one round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each endpoint")
    parser.add_argument("--heartbeats", type=int, default=1000)
    args = parser.parse_args()
    port, ref_port = free_port(), free_port()
    with Rig() as rig:
        redis_server, keys = rig.redis(), rig.keys()
        rig.service("csp_status.app:create_app", port, {
            "REDIS_URL": redis_server.url(4), "JWKS_URL": keys.url, "JWT_ISSUER": ISSUER,
            "PINGS_PER_MINUTE": "100000000"})
        rig.reference(ref_port)
        admin = {"Authorization": f"Bearer {keys.token('alice', expires_in=3600)}"}
        ids = []
        for i in range(args.heartbeats):
            status, heartbeat = call("POST", f"http://127.0.0.1:{port}/heartbeats",
                                     {"name": f"job {i}", "timeout": 3600, "grace": 60}, admin)
            assert status == 201, heartbeat
            ids.append(heartbeat["id"])
        r = redis.Redis.from_url(redis_server.url(4), decode_responses=True)

        def counted() -> int:
            return sum(storage.parse_state(raw)["n_pings"] for raw in r.mget([f"heartbeat-state:{i}" for i in ids]) if raw)

        def settled() -> int:
            """counted(), once the pings wrk left on their way (it stops without waiting for
            its last answers) have all landed: it stops changing."""
            last = counted()
            while True:
                time.sleep(0.3)
                now = counted()
                if now == last:
                    return now
                last = now

        def load(name: str, seconds: int) -> dict:
            os.environ["PING_IDS"] = ids[0] if name == "hot" else ",".join(ids)
            os.environ["PING_PREFIX"] = "/hello?" if name == "hello" else "/ping/"
            base = f"http://127.0.0.1:{ref_port if name == 'hello' else port}"
            return wrk(base + "/", seconds=seconds, connections=CONNECTIONS, script=SCRIPT)

        for name in ("hello", "spread", "hot"):
            load(name, 2)  # warm-up
        before = settled()
        totals = {"hello": 0.0, "spread": 0.0, "hot": 0.0}
        accepted = 0
        for n in range(args.rounds):
            order = ("hello", "spread", "hot") if n % 2 == 0 else ("hot", "spread", "hello")
            seen = {}
            for name in order:
                result = load(name, args.seconds)
                if result["non_2xx"] or result["socket_errors"]:
                    print(f"{name}: {result['non_2xx']} non-2xx answers, socket errors {result['socket_errors']!r}")
                seen[name] = result
                totals[name] += result["rps"]
                if name != "hello":
                    accepted += int(re.search(r"ACCEPTED (\d+)", result["raw"]).group(1))
            print(f"round {n + 1}: hello {seen['hello']['rps']:>6.0f} req/s (p99 {seen['hello']['p99_ms']:5.1f} ms)  "
                  f"pings over {len(ids)} jobs {seen['spread']['rps']:>6.0f} (p99 {seen['spread']['p99_ms']:5.1f} ms)  "
                  f"one hot job {seen['hot']['rps']:>6.0f} (p99 {seen['hot']['p99_ms']:5.1f} ms)", flush=True)
        stored = settled() - before
        print(f"pings answered 200 {accepted}, counted in Redis {stored} "
              f"({stored - accepted} answered after wrk stopped listening)")
        ok = verdict(f"pings over {len(ids)} jobs / hello", totals["spread"] / totals["hello"], 0.5)
        ok = verdict("one job pinged by 64 at once / hello", totals["hot"] / totals["hello"], 0.3) and ok
        if not accepted <= stored <= accepted + CONNECTIONS * 2 * args.rounds:
            print("LOST OR MISCOUNTED PINGS")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
