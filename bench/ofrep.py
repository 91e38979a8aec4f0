"""OFREP flag evaluation (issue 8).

In one run, under the same server configuration: single-flag evaluations (POST
/ofrep/v1/evaluate/flags/{key} with a targeting rule and a percentage split, as an SDK sends
them) against a bare hello endpoint; then bulk evaluation of 100 flags (p99).

    .venv/bin/python bench/ofrep.py [--seconds 8]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from loadgen import Rig, call, free_port, measure, verdict
from polystatus.testing import ISSUER

HERE = os.path.dirname(os.path.abspath(__file__))
API_KEY = "bench-server-key-0123456789"


def flag(key: str) -> dict:
    return {"key": key, "type": "string", "variants": {"blue": "blue", "green": "green", "red": "red"},
            "default_variant": "blue",
            "rules": [{"name": "staff see red", "when": {"attribute": "email", "op": "ends_with", "value": "@example.com"},
                       "variant": "red"},
                      {"name": "half get green", "split": {"green": 50, "blue": 50}}]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    port, ref_port = free_port(), free_port()
    with Rig() as rig:
        redis_server, keys = rig.redis(), rig.keys()
        rig.service("feature_flags.app:create_app", port, {
            "REDIS_URL": redis_server.url(5), "JWKS_URL": keys.url, "JWT_ISSUER": ISSUER,
            "FLAGS_API_KEYS": f"server:{API_KEY}", "OFREP_RATE_LIMIT": "100000000"})
        rig.reference(ref_port)
        base = f"http://127.0.0.1:{port}"
        admin = {"Authorization": f"Bearer {keys.token('alice', expires_in=3600)}"}
        for key in ["checkout-theme"] + [f"flag-{i:03d}" for i in range(99)]:
            status, body = call("POST", f"{base}/flags", flag(key), admin)
            assert status == 201, body
        context = {"context": {"targetingKey": "user-42", "email": "carol@customer.test", "country": "FR"}}
        status, body = call("POST", f"{base}/ofrep/v1/evaluate/flags/checkout-theme", context, {"X-API-Key": API_KEY})
        assert status == 200 and body["value"] in ("blue", "green"), body
        os.environ["BENCH_BODY"] = json.dumps(context)
        ref = measure("GET /hello (bare Flask)", f"http://127.0.0.1:{ref_port}/hello", seconds=args.seconds)
        single = measure("POST /ofrep/v1/evaluate/flags/{key}", f"{base}/ofrep/v1/evaluate/flags/checkout-theme",
                         seconds=args.seconds, script=os.path.join(HERE, "post.lua"), headers={"X-API-Key": API_KEY})
        bulk = measure("POST /ofrep/v1/evaluate/flags (100 flags)", f"{base}/ofrep/v1/evaluate/flags",
                       seconds=args.seconds, script=os.path.join(HERE, "post.lua"), headers={"X-API-Key": API_KEY})
        ok = single["non_2xx"] == 0 and bulk["non_2xx"] == 0
        ok = verdict("single-flag evaluations / hello requests per second", single["rps"] / ref["rps"], 0.8) and ok
        print(f"bulk evaluation of 100 flags: {bulk['rps']:.0f} req/s ({bulk['rps'] * 100:.0f} flags/s), p99 {bulk['p99_ms']:.1f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
