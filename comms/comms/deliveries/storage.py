"""Deliveries, alerts and dead letters in Redis.

``delivery:{id}`` (JSON), ``deliveries`` (zset by creation), ``delivery-queue`` (zset id -> next
attempt time), ``dead-letters`` (zset), ``alert:{id}`` (JSON), ``alerts:open`` (set),
``alert-key:{key}`` (the open alert of a check or component).
"""
from __future__ import annotations

import json

import redis
from polystatus.redis_store import commit

_CREATE = """
if redis.call('set', KEYS[1], ARGV[1], 'NX') then
  redis.call('zadd', KEYS[2], ARGV[2], ARGV[3])
  redis.call('zadd', KEYS[3], ARGV[2], ARGV[3])
  return 1
end
return 0"""


def queue_create(pipe, delivery: dict, now_ts: float) -> None:
    """Queue creating a delivery unless it exists: a replanned delivery, already sent and out of
    the queue, must not be queued again (one script, so the test and the writes are atomic)."""
    pipe.eval(_CREATE, 3, f"delivery:{delivery['id']}", "deliveries", "delivery-queue",
              json.dumps(delivery), now_ts, delivery["id"])


def get(r, delivery_id: str) -> dict | None:
    raw = r.get(f"delivery:{delivery_id}")
    return json.loads(raw) if raw else None


def due(r: redis.Redis, now_ts: float, limit: int = 500) -> list[str]:
    return r.zrangebyscore("delivery-queue", "-inf", now_ts, start=0, num=limit)


def claim_due(r: redis.Redis, ids: list[str], owner: str, ttl_s: int, now_ts: float) -> list[dict]:
    """Lock many due deliveries in two round trips, and return those we hold that are still due.

    The record is read *after* the lock: another worker may have finished one of them between
    our listing of the queue and our lock (sent: gone from the queue; failed: requeued later),
    and sending it again would be a duplicate. Locks on deliveries that are no longer due are
    released at once."""
    if not ids:
        return []
    pipe = r.pipeline(transaction=True)
    for delivery_id in ids:
        pipe.set(f"delivery-lock:{delivery_id}", owner, nx=True, ex=ttl_s)
    # The locks reach a replica before anything is sent: after a failover, another worker must
    # not find these deliveries unlocked and send them a second time.
    held = [delivery_id for delivery_id, ok in zip(ids, commit(pipe), strict=True) if ok]
    if not held:
        return []
    pipe = r.pipeline(transaction=False)
    for delivery_id in held:
        pipe.get(f"delivery:{delivery_id}")
        pipe.zscore("delivery-queue", delivery_id)
    answers = pipe.execute()
    claimed, stale = [], []
    for index, delivery_id in enumerate(held):
        raw, score = answers[2 * index], answers[2 * index + 1]
        if raw and score is not None and score <= now_ts:
            claimed.append(json.loads(raw))
        else:
            stale.append(f"delivery-lock:{delivery_id}")
    if stale:
        r.delete(*stale)
    return claimed


_DELETE_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0"""


def release_locks(r: redis.Redis, prefix: str, is_gone) -> int:
    """Release the delivery locks of owners ``{prefix}{pid}`` for which ``is_gone(pid)``: a
    worker restarted on the same host takes over what its crashed predecessor had claimed
    now, not when the locks expire. Compare-and-delete, so a lock re-taken meanwhile stays."""
    released = 0
    for key in r.scan_iter(match="delivery-lock:*", count=1000):
        owner = r.get(key)
        if owner and owner.startswith(prefix) and owner[len(prefix):].isdigit() and is_gone(int(owner[len(prefix):])):
            released += int(r.eval(_DELETE_IF_OWNER, 1, key, owner))
    return released


def finish(r: redis.Redis, delivery: dict, *, requeue_at: float | None = None, dead: bool = False) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.set(f"delivery:{delivery['id']}", json.dumps(delivery))
    if requeue_at is not None:
        pipe.zadd("delivery-queue", {delivery["id"]: requeue_at})
    else:
        pipe.zrem("delivery-queue", delivery["id"])
    if dead:
        pipe.zadd("dead-letters", {delivery["id"]: delivery.get("updated_ts", 0)})
    pipe.delete(f"delivery-lock:{delivery['id']}")
    # A replica has the "sent" mark before the next delivery goes out: a failover then resends
    # at most the one in flight, not every message sent in the last moments of the old primary.
    commit(pipe)


def recent(r: redis.Redis, limit: int, offset: int = 0) -> list[dict]:
    ids = r.zrevrange("deliveries", offset, offset + limit - 1)
    return [json.loads(raw) for raw in r.mget([f"delivery:{i}" for i in ids]) if raw] if ids else []


def dead_letters(r: redis.Redis, offset: int = 0, limit: int = 1000) -> tuple[list[dict], int]:
    """One page of dead letters, newest first, and how many there are."""
    pipe = r.pipeline(transaction=False)
    pipe.zrevrange("dead-letters", offset, offset + limit - 1)
    pipe.zcard("dead-letters")
    ids, total = pipe.execute()
    return ([json.loads(raw) for raw in r.mget([f"delivery:{i}" for i in ids]) if raw] if ids else []), total


def discard(r: redis.Redis, delivery: dict) -> None:
    """Out of the dead letters for good; the record stays in the delivery log."""
    pipe = r.pipeline(transaction=True)
    pipe.set(f"delivery:{delivery['id']}", json.dumps(delivery))
    pipe.zrem("dead-letters", delivery["id"])
    pipe.execute()


def retry(r: redis.Redis, delivery: dict, now_ts: float) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.set(f"delivery:{delivery['id']}", json.dumps(delivery))
    pipe.zrem("dead-letters", delivery["id"])
    pipe.zadd("delivery-queue", {delivery["id"]: now_ts})
    pipe.execute()


def get_alert(r, alert_id: str) -> dict | None:
    raw = r.get(f"alert:{alert_id}")
    return json.loads(raw) if raw else None


def alert_for_key(r, key: str) -> dict | None:
    """The alert open for ``key`` (a check, a component's reports), if any."""
    alert_id = r.get(f"alert-key:{key}")
    return get_alert(r, alert_id) if alert_id else None


def queue_announcement(pipe, announcement_id: str, subject: str) -> None:
    pipe.set(f"announcement:{announcement_id}", subject)


def save_alert(pipe, alert: dict) -> None:
    pipe.set(f"alert:{alert['id']}", json.dumps(alert))
    if alert.get("acked_at") or alert.get("resolved_at"):
        pipe.srem("alerts:open", alert["id"])
        pipe.delete(f"alert-key:{alert['key']}")
    else:
        pipe.sadd("alerts:open", alert["id"])
        pipe.set(f"alert-key:{alert['key']}", alert["id"])


def open_alerts(r: redis.Redis) -> list[dict]:
    ids = sorted(r.smembers("alerts:open"))
    return [json.loads(raw) for raw in r.mget([f"alert:{i}" for i in ids]) if raw] if ids else []
