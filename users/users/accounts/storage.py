"""Accounts in Redis.

Keys: ``user:{id}`` (hash), ``user-email:{email}`` (id, the uniqueness guard), ``users`` (zset
by creation time, for paging), ``admins`` (set, for the last-admin rule).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from polystatus.redis_store import commit


def get(r: redis.Redis, user_id: str) -> dict | None:
    user = r.hgetall(f"user:{user_id}")
    return user or None


def contacts(r: redis.Redis, user_ids: list[str]) -> list[dict]:
    """id, email, display name and language of each account that exists, in the order given."""
    pipe = r.pipeline(transaction=False)
    for user_id in user_ids:
        pipe.hmget(f"user:{user_id}", "id", "email", "display_name", "lang")
    return [{"id": row[0], "email": row[1], "display_name": row[2], "lang": row[3] or "en"}
            for row in pipe.execute() if row[0]]


def id_for_email(r: redis.Redis, email: str) -> str | None:
    return r.get(f"user-email:{email}")


def create(r: redis.Redis, user: dict, *, created_ts: float, also: Callable[[Any], None] | None = None) -> bool:
    """Store a new account; False when the email is taken (checked atomically). ``also(pipe)``
    queues more writes (the flow's event) in the same transaction."""
    email_key = f"user-email:{user['email']}"

    def attempt(pipe) -> bool:
        # Run again by redis-py's transaction() if the email was taken meanwhile: then it exists.
        if pipe.exists(email_key):
            return False
        pipe.multi()
        pipe.set(email_key, user["id"])
        pipe.hset(f"user:{user['id']}", mapping=user)
        pipe.zadd("users", {user["id"]: created_ts})
        if user["role"] == "admin":
            pipe.sadd("admins", user["id"])
        if also:
            also(pipe)
        commit(pipe)
        return True

    return r.transaction(attempt, email_key, value_from_callable=True)


def queue_update(pipe, user_id: str, changes: dict, *, old_email: str | None = None) -> None:
    """``changes`` with an ``email`` moves the uniqueness guard from ``old_email`` to it, in the
    same transaction."""
    pipe.hset(f"user:{user_id}", mapping=changes)
    if "email" in changes and old_email:
        pipe.set(f"user-email:{changes['email']}", user_id)
        pipe.delete(f"user-email:{old_email}")
    if "role" in changes:
        if changes["role"] == "admin":
            pipe.sadd("admins", user_id)
        else:
            pipe.srem("admins", user_id)


def set_password_hash(r: redis.Redis, user_id: str, password_hash: str) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.hset(f"user:{user_id}", "password_hash", password_hash)
    commit(pipe)


def admin_count(r: redis.Redis) -> int:
    return r.scard("admins")


def queue_delete(pipe, user: dict) -> None:
    """Remove the account (its follows and subscriptions are the follows area's to queue)."""
    user_id = user["id"]
    pipe.delete(f"user:{user_id}", f"user-email:{user['email']}")
    pipe.zrem("users", user_id)
    pipe.srem("admins", user_id)


def every(r: redis.Redis, batch: int = 500):
    """Every account, oldest first, read a batch at a time (the admin's search walks them)."""
    offset = 0
    while True:
        ids = r.zrange("users", offset, offset + batch - 1)
        if not ids:
            return
        pipe = r.pipeline(transaction=False)
        for user_id in ids:
            pipe.hgetall(f"user:{user_id}")
        yield from (u for u in pipe.execute() if u)
        offset += batch


def page(r: redis.Redis, offset: int, limit: int) -> tuple[list[dict], int]:
    ids = r.zrange("users", offset, offset + limit - 1)
    pipe = r.pipeline(transaction=False)
    for user_id in ids:
        pipe.hgetall(f"user:{user_id}")
    return [u for u in pipe.execute() if u], r.zcard("users")
