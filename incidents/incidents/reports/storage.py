"""Problem reports in Redis.

``reports:{component}:{bucket}`` (counter), ``report-types:{component}:{bucket}`` (hash type ->
count), both kept 35 days; ``report-seen:{component}:{client}`` (the 15-minute dedup marker);
``reports-since:{component}`` (first bucket with data, for the baseline fallback);
``report-state:{component}`` (last decided state); ``report-offer:{component}`` (JSON list: the
problem types the component offers, the reports' own copy of them, see ``record``).
"""
from __future__ import annotations

import functools
import json

import redis
from polystatus.groupcommit import GroupCommit

RETENTION_S = 35 * 86400
DEDUP_S = 900


# One report is one round trip: whether the component offers this problem type, the
# per-address rate limit, the 15-minute dedup marker and the counters, checked and changed
# together in one script. That is what lets ingestion keep pace with a bare INCR endpoint
# during a spike (bench/report_ingestion.py), and a crash can never leave a report half-counted.
# The script reads no other area's keys: the problem types it checks are the reports' own copy
# (``report-offer:{component}``), which the components' flows write in the same transaction as
# every component write and delete with the component (components.flows), so it never lags.
# A refused report (no copy, type not offered) changes nothing, rate limit included.
_REPORT = """
local offered = redis.call('GET', KEYS[6])
if not offered then return -2 end
local known = false
for _, offer in ipairs(cjson.decode(offered)) do
  if offer == ARGV[5] then known = true break end
end
if not known then return offered end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if hits > tonumber(ARGV[1]) then return -1 end
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then return 0 end
-- The bucket's keys get their retention when first written, not on every report.
if redis.call('INCR', KEYS[3]) == 1 then
  redis.call('EXPIRE', KEYS[3], ARGV[4])
  redis.call('SET', KEYS[5], ARGV[6], 'NX')
end
if redis.call('HINCRBY', KEYS[4], ARGV[5], 1) == 1 then redis.call('EXPIRE', KEYS[4], ARGV[4]) end
return 1
"""
COUNTED, DUPLICATE, RATE_LIMITED, NO_COPY, NOT_OFFERED = 1, 0, -1, -2, -3


def record(r: redis.Redis, component_id: str, problem_type: str, client: str, *, bucket: int,
           limit_key: str, limit: int, window_s: int) -> tuple[int, list[str] | None]:
    """Count one report in ``bucket``: ``(outcome, offered)``, outcome one of COUNTED,
    DUPLICATE (this client reported this component in the last 15 minutes), RATE_LIMITED
    (``limit_key`` passed ``limit``), NOT_OFFERED (``offered`` says what is) or NO_COPY (no
    copy of the component's problem types: no such component, or one stored before the copies
    were; see ``queue_offer``)."""
    keys = [limit_key, f"report-seen:{component_id}:{client}", f"reports:{component_id}:{bucket}",
            f"report-types:{component_id}:{bucket}", f"reports-since:{component_id}",
            f"report-offer:{component_id}"]
    args = [limit, window_s + 1, DEDUP_S, RETENTION_S, problem_type, bucket]
    outcome = _report_script(r)(keys, args)
    if isinstance(outcome, str):
        return NOT_OFFERED, json.loads(outcome)
    return int(outcome), None


def queue_offer(pipe, component_id: str, problem_types: list[str] | None) -> None:
    """Set the reports' copy of the problem types ``component_id`` offers, or delete it (None),
    on the caller's pipeline: the transaction that writes or deletes the component."""
    if problem_types is None:
        pipe.delete(f"report-offer:{component_id}")
    else:
        pipe.set(f"report-offer:{component_id}", json.dumps(problem_types))


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


def last_state(r: redis.Redis, component_id: str) -> str:
    return r.get(f"report-state:{component_id}") or "no_problems"


def queue_state(pipe, component_id: str, state: str) -> None:
    pipe.set(f"report-state:{component_id}", state)
