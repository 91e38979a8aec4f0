"""Problem reports in Redis.

``reports:{component}:{bucket}`` (counter), ``report-types:{component}:{bucket}`` (hash type ->
count), both kept 35 days; ``report-seen:{component}:{client}`` (the 15-minute dedup marker);
``reports-since:{component}`` (first bucket with data, for the baseline fallback);
``report-state:{component}`` (last decided state).
"""
from __future__ import annotations

import redis

from . import service

RETENTION_S = 35 * 86400
DEDUP_S = 900


def record(r: redis.Redis, component_id: str, problem_type: str, client: str, ts: float) -> bool:
    """Count one report unless this client reported this component in the last 15 minutes."""
    if not r.set(f"report-seen:{component_id}:{client}", "1", nx=True, ex=DEDUP_S):
        return False
    bucket = service.bucket_of(ts)
    pipe = r.pipeline(transaction=True)
    pipe.incr(f"reports:{component_id}:{bucket}")
    pipe.expire(f"reports:{component_id}:{bucket}", RETENTION_S)
    pipe.hincrby(f"report-types:{component_id}:{bucket}", problem_type, 1)
    pipe.expire(f"report-types:{component_id}:{bucket}", RETENTION_S)
    pipe.set(f"reports-since:{component_id}", bucket, nx=True)
    pipe.execute()
    return True


def add_history(r: redis.Redis, component_id: str, counts: dict[int, dict[str, int]]) -> None:
    """Bulk-load past buckets (demo data): bucket -> {type: count}."""
    pipe = r.pipeline(transaction=False)
    for bucket, types in counts.items():
        total = sum(types.values())
        if not total:
            continue
        pipe.set(f"reports:{component_id}:{bucket}", total, ex=RETENTION_S)
        pipe.hset(f"report-types:{component_id}:{bucket}", mapping=types)
        pipe.expire(f"report-types:{component_id}:{bucket}", RETENTION_S)
    if counts:
        pipe.set(f"reports-since:{component_id}", min(counts))
    pipe.execute()


def counts(r: redis.Redis, component_id: str, buckets: list[int]) -> list[int]:
    if not buckets:
        return []
    return [int(v or 0) for v in r.mget([f"reports:{component_id}:{b}" for b in buckets])]


def types(r: redis.Redis, component_id: str, buckets: list[int]) -> dict[str, int]:
    pipe = r.pipeline(transaction=False)
    for b in buckets:
        pipe.hgetall(f"report-types:{component_id}:{b}")
    total: dict[str, int] = {}
    for row in pipe.execute():
        for t, c in row.items():
            total[t] = total.get(t, 0) + int(c)
    return total


def since_bucket(r: redis.Redis, component_id: str) -> int | None:
    raw = r.get(f"reports-since:{component_id}")
    return int(raw) if raw else None


def baselines(r: redis.Redis, component_id: str, buckets: list[int], now_bucket: int) -> list[float]:
    since = since_bucket(r, component_id)
    history_days = (now_bucket - since) / service.BUCKETS_PER_DAY if since is not None else 0
    keys = [hb for b in buckets for hb in service.baseline_buckets(b)]
    flat = counts(r, component_id, keys)
    n = service.BASELINE_DAYS
    return [service.baseline(flat[i * n:(i + 1) * n], history_days=history_days) for i in range(len(buckets))]


def last_state(r: redis.Redis, component_id: str) -> str:
    return r.get(f"report-state:{component_id}") or "no_problems"
