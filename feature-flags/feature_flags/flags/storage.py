"""Flags in Redis: ``flag:{key}`` (JSON), ``flags`` (set of keys), ``segment:{key}``,
``segments`` (set), ``flag-audit:{key}`` (list, newest first), ``flags:version`` (a counter
bumped by every change, so evaluators know when their cache is stale)."""
from __future__ import annotations

import json

import redis
from polystatus import events

SERVICE = "feature-flags"


def version(r: redis.Redis) -> int:
    return int(r.get("flags:version") or 0)


def all_flags(r: redis.Redis) -> dict[str, dict]:
    keys = sorted(r.smembers("flags"))
    return {json.loads(raw)["key"]: json.loads(raw) for raw in r.mget([f"flag:{k}" for k in keys]) if raw} if keys else {}


def all_segments(r: redis.Redis) -> dict[str, dict]:
    keys = sorted(r.smembers("segments"))
    return {json.loads(raw)["key"]: json.loads(raw) for raw in r.mget([f"segment:{k}" for k in keys]) if raw} if keys else {}


def get(r: redis.Redis, key: str) -> dict | None:
    raw = r.get(f"flag:{key}")
    return json.loads(raw) if raw else None


def write(r: redis.Redis, *, key: str, before: dict | None, after: dict | None, actor: str, at: str,
          kind: str = "flag") -> None:
    """Save (or delete) a flag or segment, its audit entry, the version bump and the event, atomically."""
    action = "created" if before is None else ("deleted" if after is None else "updated")
    pipe = r.pipeline(transaction=True)
    if after is None:
        pipe.delete(f"{kind}:{key}")
        pipe.srem(f"{kind}s", key)
    else:
        pipe.set(f"{kind}:{key}", json.dumps(after))
        pipe.sadd(f"{kind}s", key)
    entry = {"at": at, "actor": actor, "action": action, "kind": kind, "key": key, "before": before, "after": after}
    pipe.lpush(f"{kind}-audit:{key}", json.dumps(entry))
    pipe.ltrim(f"{kind}-audit:{key}", 0, 999)
    pipe.incr("flags:version")
    events.publish(pipe, SERVICE, "flag.changed" if kind == "flag" else "segment.changed",
                   {"key": key, "action": action, "actor": actor, "before": before, "after": after})
    pipe.execute()


def audit(r: redis.Redis, key: str, kind: str = "flag") -> list[dict]:
    return [json.loads(raw) for raw in r.lrange(f"{kind}-audit:{key}", 0, -1)]
