"""Checks in Redis.

``check:{id}`` (config JSON), ``checks`` (zset by name), ``check-state:{id}`` (JSON: state,
streaks, regions, last result), ``check-results:{id}`` (zset of results by time, trimmed to the
retention), ``check-daily:{id}`` (hash "YYYY-MM-DD:ok|total" -> count, for 90-day bars),
``checks-due`` (zset id -> next run time).
"""
from __future__ import annotations

import json

import redis


def get(r: redis.Redis, check_id: str) -> dict | None:
    raw = r.get(f"check:{check_id}")
    return json.loads(raw) if raw else None


def save(r: redis.Redis, check: dict, next_run: float | None = None) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.set(f"check:{check['id']}", json.dumps(check))
    pipe.zadd("checks", {check["id"]: 0})
    if next_run is not None:
        pipe.zadd("checks-due", {check["id"]: next_run})
    pipe.execute()


def all_checks(r: redis.Redis) -> list[dict]:
    ids = r.zrange("checks", 0, -1)
    if not ids:
        return []
    return sorted((json.loads(raw) for raw in r.mget([f"check:{i}" for i in ids]) if raw), key=lambda c: c["name"])


def by_name(r: redis.Redis, name: str) -> dict | None:
    return next((c for c in all_checks(r) if c["name"] == name), None)


def delete(r: redis.Redis, check_id: str) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.delete(f"check:{check_id}", f"check-state:{check_id}", f"check-results:{check_id}", f"check-daily:{check_id}")
    pipe.zrem("checks", check_id)
    pipe.zrem("checks-due", check_id)
    pipe.execute()


def state(r: redis.Redis, check_id: str) -> dict:
    raw = r.get(f"check-state:{check_id}")
    return json.loads(raw) if raw else {"state": "new", "streak_ok": 0, "streak_fail": 0, "regions": {}}


_CLAIM = """
local claimed = {}
for i = 1, #ARGV, 3 do
  local current = redis.call('zscore', KEYS[1], ARGV[i])
  if current and tonumber(current) <= tonumber(ARGV[i + 1]) then
    redis.call('zadd', KEYS[1], ARGV[i + 2], ARGV[i])
    claimed[#claimed + 1] = ARGV[i]
  end
end
return claimed"""


def claim_many(r: redis.Redis, entries: list[tuple[str, float, float]]) -> set[str]:
    """Claim several due checks in one round trip: (id, due at, next run) -> the ids won.

    A check is won only if it is still due at the time seen, so of several schedulers reading
    the same due list exactly one moves each check forward."""
    if not entries:
        return set()
    args = [value for entry in entries for value in entry]
    return set(r.eval(_CLAIM, 1, "checks-due", *args))


def due_with_configs(r: redis.Redis, now: float, limit: int) -> tuple[list[tuple[dict, float]], list[str]]:
    """The due checks with their configs and due times, and the ids whose config is gone."""
    entries = r.zrangebyscore("checks-due", "-inf", now, start=0, num=limit, withscores=True)
    if not entries:
        return [], []
    raws = r.mget([f"check:{check_id}" for check_id, _ in entries])
    found, gone = [], []
    for (check_id, score), raw in zip(entries, raws, strict=True):
        if raw:
            found.append((json.loads(raw), score))
        else:
            gone.append(check_id)
    return found, gone


def results(r: redis.Redis, check_id: str, limit: int) -> list[dict]:
    return [json.loads(raw) for raw in r.zrevrange(f"check-results:{check_id}", 0, limit - 1)]


def daily(r: redis.Redis, check_id: str) -> dict[str, int]:
    return {k: int(v) for k, v in r.hgetall(f"check-daily:{check_id}").items()}
