"""The public page under a spike (issue 9).

The frontend serves the aggregated page document (/api/page.json) and the Statuspage API
(/api/v2/summary.json) from its short-lived cache. In one run, under the same server
configuration, both against a bare hello endpoint, at 64 connections (target >= 0.8), with p99.
The backends are real: incidents with a handful of components; the other services are left
down, as during an outage, and the page says so.

    .venv/bin/python bench/page_cache.py [--seconds 8]
"""
from __future__ import annotations

import argparse
import sys

from loadgen import Rig, call, free_port, measure, verdict
from polystatus.testing import ISSUER


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    incidents_port, frontend_port, ref_port, closed = free_port(), free_port(), free_port(), free_port()
    with Rig() as rig:
        redis_server, keys = rig.redis(), rig.keys()
        common = {"JWKS_URL": keys.url, "JWT_ISSUER": ISSUER}
        rig.service("incidents.app:create_app", incidents_port, {**common, "REDIS_URL": redis_server.url(1)})
        down = f"http://127.0.0.1:{closed}"
        rig.service("frontend.app:create_app", frontend_port, {
            **common, "REDIS_URL": redis_server.url(6), "INCIDENTS_URL": f"http://127.0.0.1:{incidents_port}",
            "USERS_URL": down, "COMMS_URL": down, "CSP_STATUS_URL": down, "FEATURE_FLAGS_URL": down})
        rig.reference(ref_port)
        staff = {"Authorization": f"Bearer {keys.token('bob', expires_in=3600)}"}
        for name in ("Website", "API", "CDN", "Sign-in", "Payments", "Mobile app"):
            status, body = call("POST", f"http://127.0.0.1:{incidents_port}/components", {"name": name}, staff)
            assert status == 201, body
        base = f"http://127.0.0.1:{frontend_port}"
        status, page = call("GET", f"{base}/api/page.json")
        assert status == 200 and len(page["components"]) == 6, page
        ref = measure("GET /hello (bare Flask)", f"http://127.0.0.1:{ref_port}/hello", seconds=args.seconds)
        page_run = measure("GET /api/page.json (cached)", f"{base}/api/page.json", seconds=args.seconds)
        summary = measure("GET /api/v2/summary.json (cached)", f"{base}/api/v2/summary.json", seconds=args.seconds)
        ok = page_run["non_2xx"] == 0 and summary["non_2xx"] == 0
        ok = verdict("page.json / hello requests per second", page_run["rps"] / ref["rps"], 0.8) and ok
        ok = verdict("summary.json / hello requests per second", summary["rps"] / ref["rps"], 0.8) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
