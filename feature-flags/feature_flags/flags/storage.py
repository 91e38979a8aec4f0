"""Flags in Redis: ``flag:{key}`` (JSON), ``flags`` (set of keys), ``segment:{key}``,
``segments`` (set), ``flag-audit:{key}`` (list, newest first), ``flags:version`` (a counter
bumped by every change, so evaluators know when their cache is stale)."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from polystatus.redis_store import commit

T = TypeVar("T")


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


def queue_write(pipe, *, kind: str, key: str, value: dict | None, entry: dict) -> None:
    """Queue the save (or, ``value`` None, the deletion) of a flag or segment, its audit entry and
    the version bump on ``pipe``."""
    if value is None:
        pipe.delete(f"{kind}:{key}")
        pipe.srem(f"{kind}s", key)
    else:
        pipe.set(f"{kind}:{key}", json.dumps(value))
        pipe.sadd(f"{kind}s", key)
    pipe.lpush(f"{kind}-audit:{key}", json.dumps(entry))
    pipe.ltrim(f"{kind}-audit:{key}", 0, 999)
    pipe.incr("flags:version")


def change_segments(r: redis.Redis, write: Callable[[Any, dict, dict], T]) -> T:
    """A read-then-write over every flag and segment: they are read under WATCH of
    ``flags:version`` (every flag or segment write bumps it) and handed to ``write(pipe, flags,
    segments)``, which may raise (nothing is written) or queue its writes on ``pipe`` (a MULTI
    by then); they are committed durably. When a flag or segment changed meanwhile (a rule that
    starts using a segment being deleted), everything is read and ``write`` run again."""

    def attempt(pipe) -> T:
        flags, segments = all_flags(pipe), all_segments(pipe)
        pipe.multi()
        result = write(pipe, flags, segments)
        commit(pipe)
        return result

    return r.transaction(attempt, "flags:version", value_from_callable=True)


def audit(r: redis.Redis, key: str, kind: str = "flag") -> list[dict]:
    return [json.loads(raw) for raw in r.lrange(f"{kind}-audit:{key}", 0, -1)]
