"""API key verification against JWT verification on the same route (issue 20).

A real users service (it issues the JWT and the key, and answers the introspection) and a
real feature-flags service (it verifies both). In one run, under the same server:
GET /readyz (no auth), then GET /flags/<key> (staff route) with alice's JWT, then with her
``psk_`` API key. A key is checked by asking users once per API_KEY_CACHE_TTL (30 s here) and
answering from the cache in between; the ratio key / JWT is what a key costs against a token.
Then, in process, each verifier's cached check alone.

    .venv/bin/python bench/api_keys.py [--seconds 8]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from loadgen import PYTHON, ROOT, Rig, call, free_port, measure

SECRET = "bench-feature-flags-secret-0123456789"
ADMIN = {"email": "alice@example.com", "password": "a long bench passphrase 42"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    users_port, flags_port = free_port(), free_port()
    with Rig() as rig:
        redis_server = rig.redis()
        users_env = {"REDIS_URL": redis_server.url(2), "SERVICE_CLIENTS": f"feature_flags={SECRET}",
                     "LOGIN_LIMIT_PER_ADDRESS": "1000"}
        subprocess.run([PYTHON, "-m", "users.admin", "--email", ADMIN["email"], "--password", ADMIN["password"]],
                       env={**os.environ, **users_env}, check=True, capture_output=True, cwd=ROOT)
        rig.service("users.app:create_app", users_port, users_env)
        users = f"http://127.0.0.1:{users_port}"
        rig.service("feature_flags.app:create_app", flags_port, {
            "REDIS_URL": redis_server.url(5), "JWKS_URL": f"{users}/.well-known/jwks.json",
            "SERVICE_CLIENT_ID": "feature_flags", "SERVICE_CLIENT_SECRET": SECRET, "API_KEY_CACHE_TTL": "30"})
        base = f"http://127.0.0.1:{flags_port}"
        status, tokens = call("POST", f"{users}/auth/login", ADMIN)
        assert status == 200, tokens
        jwt_headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        status, key = call("POST", f"{users}/api-keys", {"name": "bench", "scopes": ["feature-flags:write"]}, jwt_headers)
        assert status == 201, key
        key_headers = {"Authorization": f"Bearer {key['secret']}"}
        status, body = call("POST", f"{base}/flags", {"key": "bench", "type": "boolean", "variants": {"on": True, "off": False},
                                                      "default_variant": "off"}, key_headers)
        assert status == 201, body

        plain = measure("GET /readyz (no auth)", f"{base}/readyz", seconds=args.seconds)
        by_jwt = measure("GET /flags/bench (JWT)", f"{base}/flags/bench", seconds=args.seconds, headers=jwt_headers)
        by_key = measure("GET /flags/bench (API key, cached)", f"{base}/flags/bench", seconds=args.seconds,
                         headers=key_headers)
        assert by_jwt["non_2xx"] == 0 and by_key["non_2xx"] == 0, "a credential was refused"
        status, listed = call("GET", f"{users}/api-keys", None, jwt_headers)
        print(f"users recorded the key as last used at {listed['keys'][0]['last_used_at']}")

        # Each verifier's cached check alone, in process (what the HTTP figures contain).
        from polystatus.auth import ApiKeyVerifier, RemoteIntrospector, ServiceTokenSource, TokenVerifier

        tokens_source = ServiceTokenSource(users, "feature_flags", SECRET)
        keys = ApiKeyVerifier(RemoteIntrospector(f"{users}/auth/api-keys/introspect", tokens_source), ttl_s=30)
        jwts = TokenVerifier(f"{users}/.well-known/jwks.json", issuer="polystatus-users")
        rounds = 200_000
        keys.verify(key["secret"], service="feature-flags", method="GET")
        jwts.verify(tokens["access_token"])
        started = time.perf_counter()
        for _ in range(rounds):
            keys.verify(key["secret"], service="feature-flags", method="GET")
        key_rate = rounds / (time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(rounds):
            jwts.verify(tokens["access_token"])
        jwt_rate = rounds / (time.perf_counter() - started)
        print(f"in process, cached: API key checks/s {key_rate:.0f}, JWT checks/s {jwt_rate:.0f} "
              f"(users asked {keys.asked} time(s) for the key)")
        print(f"API key / JWT requests/s: {by_key['rps'] / by_jwt['rps']:.2f}")
        print(f"API key / unauthenticated requests/s: {by_key['rps'] / plain['rps']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
