"""The audit trail in users' Redis: one sorted set, scored by the entry's time (epoch ms),
members the entries' JSON (each carries its event id, so no two are equal)."""
from __future__ import annotations

import json
from collections.abc import Iterator

import redis

KEY = "audit:entries"
BATCH = 500


def add(pipe: redis.client.Pipeline, entry: dict, *, score_ms: int, floor_ms: int) -> None:
    """Queue the entry, and drop what is past retention (cheap: a range removal by score)."""
    pipe.zadd(KEY, {json.dumps(entry, separators=(",", ":"), sort_keys=True): score_ms})
    pipe.zremrangebyscore(KEY, "-inf", f"({floor_ms}")


def newest_first(r: redis.Redis, *, since_ms: int | None, until_ms: int | None) -> Iterator[dict]:
    """Entries in the time range, newest first, read in batches."""
    high = "+inf" if until_ms is None else until_ms
    low = "-inf" if since_ms is None else since_ms
    offset = 0
    while True:
        batch = r.zrevrangebyscore(KEY, high, low, start=offset, num=BATCH)
        for raw in batch:
            yield json.loads(raw)
        if len(batch) < BATCH:
            return
        offset += BATCH
