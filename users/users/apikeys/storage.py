"""API keys in Redis.

Keys: ``api-key:{id}`` (hash: the record of users/apikeys/service.py, never the secret),
``api-key-digest:{sha256 of the secret}`` (the id: how a presented key is found, in one read),
``api-keys:of:{owner_id}`` (set of a person's key ids), ``api-keys`` (zset of every id by
creation time, for the admin's list). Revoking deletes the record and its digest: a revoked key
is then unknown, like one that never existed.
"""
from __future__ import annotations

import redis


def queue_create(pipe, record: dict, *, digest: str, created_ts: float) -> None:
    """Queue a new key's record, its digest and its indexes on the flow's unit of work."""
    pipe.hset(f"api-key:{record['id']}", mapping={**record, "digest": digest})
    pipe.set(f"api-key-digest:{digest}", record["id"])
    pipe.zadd("api-keys", {record["id"]: created_ts})
    if record.get("owner_id"):
        pipe.sadd(f"api-keys:of:{record['owner_id']}", record["id"])


def get(r: redis.Redis, key_id: str) -> dict | None:
    return r.hgetall(f"api-key:{key_id}") or None


def find(r: redis.Redis, digest: str) -> dict | None:
    key_id = r.get(f"api-key-digest:{digest}")
    return get(r, key_id) if key_id else None


def _many(r: redis.Redis, ids) -> list[dict]:
    pipe = r.pipeline(transaction=False)
    for key_id in ids:
        pipe.hgetall(f"api-key:{key_id}")
    return [record for record in pipe.execute() if record]


def of_owner(r: redis.Redis, owner_id: str) -> list[dict]:
    return sorted(_many(r, r.smembers(f"api-keys:of:{owner_id}")), key=lambda k: k["created_at"], reverse=True)


def every(r: redis.Redis, limit: int = 1000) -> list[dict]:
    return _many(r, r.zrevrange("api-keys", 0, limit - 1))


def queue_revoke(pipe, record: dict) -> None:
    pipe.delete(f"api-key:{record['id']}", f"api-key-digest:{record['digest']}")
    pipe.zrem("api-keys", record["id"])
    if record.get("owner_id"):
        pipe.srem(f"api-keys:of:{record['owner_id']}", record["id"])


def touch(r: redis.Redis, key_id: str, at: str) -> None:
    """Last used: a plain write (no replica wait), made once per introspection, which each
    service does at most once per key per API_KEY_CACHE_TTL; only if the key still exists."""
    # In one script: a key revoked meanwhile is not brought back as a stray hash.
    r.eval("if redis.call('exists', KEYS[1]) == 1 then redis.call('hset', KEYS[1], 'last_used_at', ARGV[1]) end",
           1, f"api-key:{key_id}", at)
