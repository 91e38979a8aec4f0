"""Checks in Redis.

``check:{id}`` (config JSON), ``checks`` (zset by name), ``check-state:{id}`` (JSON: state,
streaks, regions, last result), ``check-results:{id}`` (zset of results by time, trimmed to the
retention), ``check-daily:{id}`` (hash "YYYY-MM-DD:ok|total" -> count, for 90-day bars),
``checks-due`` (zset id -> next run time), ``checks-running`` (zset id -> when the scheduler run
claimed is to be recorded by).
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


def save_many(r: redis.Redis, entries: list[tuple[dict, float]]) -> None:
    """Many new checks with their first run times, pipelined a thousand at a time (a declared
    fleet, a bench): each check's own writes as ``save`` makes them."""
    for start in range(0, len(entries), 1000):
        pipe = r.pipeline(transaction=False)
        for check, next_run in entries[start:start + 1000]:
            pipe.set(f"check:{check['id']}", json.dumps(check))
            pipe.zadd("checks", {check["id"]: 0})
            pipe.zadd("checks-due", {check["id"]: next_run})
        pipe.execute()


def schedule(r: redis.Redis, next_runs: dict[str, float]) -> None:
    """Set when each of these checks runs next (one ZADD per 10,000)."""
    items = list(next_runs.items())
    for start in range(0, len(items), 10_000):
        r.zadd("checks-due", dict(items[start:start + 10_000]))


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
    pipe.zrem("checks-running", check_id)
    pipe.execute()


def forget_due(r: redis.Redis, check_ids: list[str]) -> None:
    if check_ids:
        r.zrem("checks-due", *check_ids)


def queue_state(pipe, check_id: str, value: dict) -> None:
    pipe.set(f"check-state:{check_id}", json.dumps(value))


def record_result(r: redis.Redis, check_id: str, entry: dict, ts: float, *, day: str, ok: bool,
                  dedup_key: str | None, retention_s: int, then):
    """In one transaction: the result in the history (trimmed to ``retention_s``) and the day's
    counts, then ``then(pipe, current state)`` queues the rest (state, event) and gives the
    answer. None when ``dedup_key`` was already recorded. Retried while the state moves under it."""
    def body(pipe):
        if dedup_key and pipe.exists(dedup_key):
            return None
        current = state(pipe, check_id)
        pipe.multi()
        if dedup_key:
            pipe.set(dedup_key, 1, ex=retention_s)
        pipe.zadd(f"check-results:{check_id}", {json.dumps(entry): ts})
        pipe.zremrangebyscore(f"check-results:{check_id}", "-inf", ts - retention_s)
        pipe.hincrby(f"check-daily:{check_id}", f"{day}:total", 1)
        if ok:
            pipe.hincrby(f"check-daily:{check_id}", f"{day}:ok", 1)
        return then(pipe, current)

    watched = [f"check-state:{check_id}", *([dedup_key] if dedup_key else [])]
    return r.transaction(body, *watched, value_from_callable=True)


# Every run of a batch, six arguments each (id, entry, ts, cut-off of the retention, day, ok):
# its history entry (trimmed), its day's counts, and out of ``checks-running``. One command for
# the whole batch: each command in a MULTI costs the client a packing and a QUEUED reply to
# read, and the server a reply to write, which was most of the recording's cost per run.
_RECORD_RUNS = """
for i = 1, #ARGV, 6 do
  local id = ARGV[i]
  local results, daily = 'check-results:' .. id, 'check-daily:' .. id
  redis.call('zadd', results, ARGV[i + 2], ARGV[i + 1])
  redis.call('zremrangebyscore', results, '-inf', ARGV[i + 3])
  redis.call('hincrby', daily, ARGV[i + 4] .. ':total', 1)
  if ARGV[i + 5] == '1' then redis.call('hincrby', daily, ARGV[i + 4] .. ':ok', 1) end
  redis.call('zrem', 'checks-running', id)
end
return 1"""


def record_results(r: redis.Redis, items: list[tuple[str, dict, float, str, bool]], *, retention_s: int,
                   then) -> list:
    """Many runs' results in one transaction: the scheduler's batch. ``items`` are (check id,
    entry, ts, day, ok); ``then(pipe, index, current state)`` queues the rest of item ``index``
    and gives the check's state after it (a check twice in a batch sees its own first run).
    Every state is read in one MGET under one WATCH: one round trip for the batch instead of
    four per result; every result's history, day counts and leaving ``checks-running`` are
    one script call for the whole batch (the client's cost is per command). Retried while a
    state moves under it (an agent's result, a run now)."""
    keys = list(dict.fromkeys(f"check-state:{check_id}" for check_id, *_ in items))
    runs = [value for check_id, entry, ts, day, ok in items
            for value in (check_id, json.dumps(entry), ts, ts - retention_s, day, 1 if ok else 0)]

    def body(pipe):
        known = dict(zip(keys, pipe.mget(keys), strict=True))
        current = {key: json.loads(raw) if raw else _new_state() for key, raw in known.items()}
        pipe.multi()
        # EVAL, not EVALSHA: Redis keeps the compiled script by its digest either way, and a
        # pipeline's EVALSHA would first ask SCRIPT EXISTS, a round trip per batch.
        pipe.eval(_RECORD_RUNS, 0, *runs)
        answers = []
        for index, (check_id, *_) in enumerate(items):
            answer = then(pipe, index, current[f"check-state:{check_id}"])
            current[f"check-state:{check_id}"] = answer
            answers.append(answer)
        return answers

    return r.transaction(body, *keys, value_from_callable=True) if items else []


def _new_state() -> dict:
    return {"state": "new", "streak_ok": 0, "streak_fail": 0, "regions": {}}


def state(r: redis.Redis, check_id: str) -> dict:
    raw = r.get(f"check-state:{check_id}")
    return json.loads(raw) if raw else _new_state()


_CLAIM = """
local claimed = {}
for i = 1, #ARGV, 4 do
  local current = redis.call('zscore', KEYS[1], ARGV[i])
  if current and tonumber(current) <= tonumber(ARGV[i + 1]) then
    redis.call('zadd', KEYS[1], ARGV[i + 2], ARGV[i])
    if ARGV[i + 3] ~= '0' then redis.call('zadd', KEYS[2], ARGV[i + 3], ARGV[i]) end
    claimed[#claimed + 1] = ARGV[i]
  end
end
return claimed"""


def claim_many(r: redis.Redis, entries: list[tuple[str, float, float, float]]) -> set[str]:
    """Claim several due checks in one round trip: (id, due at, next run, recorded by) -> the
    ids won. A check is won only if it is still due at the time seen, so of several schedulers
    reading the same due list exactly one moves each check forward. "Recorded by" (0: not run
    here) puts the run in ``checks-running`` until its result is recorded: a replica killed
    in between leaves it there, past that time, for another to run (``take_abandoned``)."""
    if not entries:
        return set()
    args = [value for entry in entries for value in entry]
    return set(r.eval(_CLAIM, 2, "checks-due", "checks-running", *args))


_TAKE_ABANDONED = """
local ids = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local taken = {}
for _, id in ipairs(ids) do
  local next_run = redis.call('zscore', KEYS[2], id)
  if next_run and tonumber(next_run) > tonumber(ARGV[1]) then
    redis.call('zadd', KEYS[1], ARGV[2], id)
    taken[#taken + 1] = id
  else
    redis.call('zrem', KEYS[1], id)
  end
end
return taken"""


def take_abandoned(r: redis.Redis, now: float, recorded_by: float, limit: int) -> list[dict]:
    """The checks whose claimed run was never recorded by the time it should have been (its
    replica was killed), taken over atomically (one taker each, now to record by
    ``recorded_by``); a run whose next one is already due is dropped instead."""
    ids = r.eval(_TAKE_ABANDONED, 2, "checks-running", "checks-due", now, recorded_by, limit)
    if not ids:
        return []
    return [json.loads(raw) for raw in r.mget([f"check:{check_id}" for check_id in ids]) if raw]


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
