"""What the audit trail costs a write (issue 20): the same write route, through the real app
factory and a real redis-server, with the audit entry (queued on the write's own MULTI by
redis_store.commit) and without it (AUDIT_WRITES=false). In-process (Flask's test client), so
the figure is the audit's own work: building the entry, redacting it, one more XADD.

    .venv/bin/python bench/audit_overhead.py [--writes 2000] [--rounds 5]
"""
from __future__ import annotations

import argparse
import statistics
import time

from apiflask import Schema
from apiflask.validators import Length
from polystatus.app_factory import create_service_app
from polystatus.auth import require_role
from polystatus.redis_store import commit, get_redis
from polystatus.testing import ISSUER, KeySet, RedisServer
from polystatus.text import Line, Secret


class ThingIn(Schema):
    name = Line(required=True, validate=Length(max=100))
    note = Line(validate=Length(max=500))
    token = Secret(validate=Length(max=100))


def build(redis_url: str, jwks: str, audit: bool):
    app = create_service_app(__name__, service="bench", title="Bench", description="audit overhead",
                             settings={}, config={"TESTING": True, "REDIS_URL": redis_url, "JWKS_URL": jwks,
                                                  "JWT_ISSUER": ISSUER, "AUDIT_WRITES": audit})

    @app.patch("/things/<name>")
    @app.input(ThingIn)
    @require_role("staff")
    def change(name, json_data):
        pipe = get_redis().pipeline()
        pipe.hset(f"thing:{name}", mapping={"name": json_data["name"], "note": json_data.get("note", "")})
        commit(pipe)
        return {"name": json_data["name"]}

    return app


def run(app, headers: dict, writes: int) -> float:
    client = app.test_client()
    body = {"name": "thing", "note": "a short note about the change", "token": "not-for-the-trail"}
    started = time.perf_counter()
    for i in range(writes):
        assert client.patch(f"/things/t{i % 50}", json=body, headers=headers).status_code == 200
    return (time.perf_counter() - started) / writes * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server, keys = RedisServer(), KeySet()
    try:
        headers = keys.headers("bob")
        apps = {"with audit": build(server.url(1), keys.url, True), "without": build(server.url(2), keys.url, False)}
        for app in apps.values():
            run(app, headers, 100)  # warm: token verified and remembered, connections open
        times: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(args.rounds):  # alternating rounds: a neighbour's burst hits one side, not both
            for name, app in apps.items():
                times[name].append(run(app, headers, args.writes))
        for name, values in times.items():
            print(f"{name:>11}: median {statistics.median(values):7.1f} µs per write ({args.rounds} rounds of {args.writes})")
        extra = statistics.median(times["with audit"]) - statistics.median(times["without"])
        print(f"the audit entry adds {extra:.1f} µs per write "
              f"({extra / statistics.median(times['without']) * 100:.0f} %)")
    finally:
        keys.stop()
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
