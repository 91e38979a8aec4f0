"""Token verification in a consuming service (issue 3).

feature-flags verifies the users service's EdDSA tokens against a JWKS URL (keys cached). In
one run, under the same server: GET /readyz (no auth, one Redis PING) against GET /flags/<key>
(a staff token checked on every request, then one Redis read). The ratio is what
verification costs; the second figure is verifications per second.

    .venv/bin/python bench/token_verification.py [--seconds 8]
"""
from __future__ import annotations

import argparse
import sys
import time

from loadgen import Rig, call, free_port, measure
from polystatus.testing import ISSUER


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    port = free_port()
    with Rig() as rig:
        redis_server, keys = rig.redis(), rig.keys()
        rig.service("feature_flags.app:create_app", port, {
            "REDIS_URL": redis_server.url(5), "JWKS_URL": keys.url, "JWT_ISSUER": ISSUER})
        base = f"http://127.0.0.1:{port}"
        admin = {"Authorization": f"Bearer {keys.token('alice', expires_in=3600)}"}
        status, body = call("POST", f"{base}/flags", {"key": "bench", "type": "boolean", "variants": {"on": True, "off": False},
                                                      "default_variant": "off"}, admin)
        assert status == 201, body
        staff = {"Authorization": f"Bearer {keys.token('bob', expires_in=3600)}"}
        plain = measure("GET /readyz (no auth)", f"{base}/readyz", seconds=args.seconds)
        authed = measure("GET /flags/bench (token verified)", f"{base}/flags/bench", seconds=args.seconds, headers=staff)
        assert authed["non_2xx"] == 0, "the token was refused"
        print(f"authenticated requests per second (token checked on each, remembered 60 s): {authed['rps']:.0f}")
        # The signature check itself, uncached: distinct tokens through the verifier in process.
        from polystatus.auth import TokenVerifier

        verifier = TokenVerifier(keys.url, issuer=ISSUER)
        tokens = [keys.token("bob", expires_in=3600) for _ in range(3000)]
        started = time.perf_counter()
        for token in tokens:
            verifier.verify(token)
        elapsed = time.perf_counter() - started
        print(f"signature verifications per second, one core, uncached: {len(tokens) / elapsed:.0f}")
        print(f"authenticated / unauthenticated requests/s: {authed['rps'] / plain['rps']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
