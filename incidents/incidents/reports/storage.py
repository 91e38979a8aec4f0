"""Problem reports in Redis.

``reports:{component}:{bucket}`` (counter), ``report-types:{component}:{bucket}`` (hash type ->
count), both kept 35 days; ``report-seen:{component}:{client}`` (the 15-minute dedup marker);
``reports-since:{component}`` (first bucket with data, for the baseline fallback);
``report-state:{component}`` (last decided state).
"""
from __future__ import annotations

import functools

import redis
from polystatus.groupcommit import GroupCommit

from . import service

RETENTION_S = 35 * 86400
DEDUP_S = 900


# One report is one round trip: the component's problem types, the per-address rate limit, the
# 15-minute dedup marker and the counters, checked and changed together in one script. That is
# what lets ingestion keep pace with a bare INCR endpoint during a spike (bench/
# report_ingestion.py), and a crash can never leave a report half-counted.
_REPORT = """
local raw = redis.call('GET', KEYS[1])
if not raw then return -2 end
local offered = false
for _, kind in ipairs(cjson.decode(raw)['problem_types'] or {}) do
  if kind == ARGV[5] then offered = true end
end
if not offered then return -3 end
local hits = redis.call('INCR', KEYS[2])
if hits == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
if hits > tonumber(ARGV[1]) then return -1 end
if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[3]) then return 0 end
-- The bucket's keys get their retention when first written, not on every report.
if redis.call('INCR', KEYS[4]) == 1 then
  redis.call('EXPIRE', KEYS[4], ARGV[4])
  redis.call('SET', KEYS[6], ARGV[6], 'NX')
end
if redis.call('HINCRBY', KEYS[5], ARGV[5], 1) == 1 then redis.call('EXPIRE', KEYS[5], ARGV[4]) end
return 1
"""
COUNTED, DUPLICATE, RATE_LIMITED, NO_COMPONENT, NOT_OFFERED = 1, 0, -1, -2, -3


def record(r: redis.Redis, component_id: str, problem_type: str, client: str, ts: float, *,
           limit_key: str, limit: int, window_s: int) -> int:
    """Record one report; one of COUNTED, DUPLICATE (this client reported this component in the
    last 15 minutes), RATE_LIMITED, NO_COMPONENT, NOT_OFFERED."""
    bucket = service.bucket_of(ts)
    keys = [f"component:{component_id}", limit_key, f"report-seen:{component_id}:{client}",
            f"reports:{component_id}:{bucket}", f"report-types:{component_id}:{bucket}",
            f"reports-since:{component_id}"]
    args = [limit, window_s + 1, DEDUP_S, RETENTION_S, problem_type, bucket]
    return int(_report_script(r)(keys, args))


@functools.lru_cache(maxsize=8)
def _report_script(r: redis.Redis) -> GroupCommit:
    # Reports arriving together share round trips (polystatus.groupcommit); one per client, so
    # every thread of a worker joins the same queue.
    return GroupCommit(r, _REPORT)


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
