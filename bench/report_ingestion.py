"""'I have a problem' report ingestion (issue 4).

In one run, under the same server configuration (granian, same workers and threads): POST
/reports on incidents (validation, component lookup, rate limit, dedup and counting in one
atomic script) against a bare Flask endpoint doing one Redis INCR. Every report comes from a
different address, so each must be counted; afterwards the counters in Redis must add up to
the number of reports the service said it counted (none lost).

    .venv/bin/python bench/report_ingestion.py [--seconds 8]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys

import redis
from loadgen import call, free_port, measure, reference, service, stop, verdict
from polystatus.testing import ISSUER, KeySet, RedisServer

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    redis_server, keys = RedisServer(), KeySet()
    port, ref_port = free_port(), free_port()
    body = json.dumps({"component_id": "api", "problem_type": "errors"})
    os.environ["REPORT_BODY"] = body  # read by reports.lua inside wrk
    incidents = service("incidents.app:create_app", port, {
        "REDIS_URL": redis_server.url(1), "JWKS_URL": keys.url, "JWT_ISSUER": ISSUER,
        "REPORTS_PER_ADDRESS_PER_MINUTE": "1000"})
    hello = reference(ref_port, redis_server.url(15))
    try:
        base = f"http://127.0.0.1:{port}"
        status, created = call("POST", f"{base}/components", {"name": "API", "id": "api", "problem_types": ["errors", "slow"]},
                               {"Authorization": f"Bearer {keys.token('bob', expires_in=3600)}"})
        assert status == 201, created
        incr = measure("POST /incr (bare Flask + one Redis INCR)", f"http://127.0.0.1:{ref_port}/incr",
                       seconds=args.seconds, script=os.path.join(HERE, "post.lua"))
        r = redis.Redis.from_url(redis_server.url(1))
        measure("(warm-up) POST /reports", f"{base}/reports", seconds=2, warmup=False,
                script=os.path.join(HERE, "reports.lua"))
        for key in r.scan_iter("report*"):
            r.delete(key)  # the warm-up's reports are not part of the count
        reports = measure("POST /reports (incidents)", f"{base}/reports", seconds=args.seconds, warmup=False,
                          script=os.path.join(HERE, "reports.lua"))
        said = re.search(r"ACCEPTED (\d+) COUNTED (\d+)", reports["raw"])
        accepted, counted = int(said.group(1)), int(said.group(2))
        stored = sum(int(r.get(key)) for key in r.scan_iter("reports:api:*"))
        # wrk stops with requests in flight: the service counts them, wrk never sees the answer,
        # so Redis may hold up to one report per connection more than wrk saw counted.
        print(f"reports accepted {accepted}, counted {counted}, found in Redis {stored} "
              f"({stored - counted} answered after wrk stopped listening)")
        ok = verdict("reports / INCR requests per second", reports["rps"] / incr["rps"], 0.8)
        if not counted <= stored <= counted + 64 or accepted != counted:
            print("LOST OR MISCOUNTED REPORTS")
            ok = False
    finally:
        stop(incidents)
        stop(hello)
        keys.stop()
        redis_server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
