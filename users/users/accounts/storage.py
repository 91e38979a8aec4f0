"""Accounts in Redis.

Keys: ``user:{id}`` (hash), ``user-email:{email}`` (id, the uniqueness guard), ``users`` (zset
by creation time, for paging), ``admins`` (set, for the last-admin rule).
"""
from __future__ import annotations

import redis
from polystatus import events

SERVICE = "users"


def get(r: redis.Redis, user_id: str) -> dict | None:
    user = r.hgetall(f"user:{user_id}")
    return user or None


def id_for_email(r: redis.Redis, email: str) -> str | None:
    return r.get(f"user-email:{email}")


def create(r: redis.Redis, user: dict, *, created_ts: float) -> bool:
    """Store a new account; False when the email is taken (checked atomically)."""
    email_key = f"user-email:{user['email']}"
    with r.pipeline(transaction=True) as pipe:
        try:
            pipe.watch(email_key)
            if pipe.exists(email_key):
                return False
            pipe.multi()
            pipe.set(email_key, user["id"])
            pipe.hset(f"user:{user['id']}", mapping=user)
            pipe.zadd("users", {user["id"]: created_ts})
            if user["role"] == "admin":
                pipe.sadd("admins", user["id"])
            events.publish(pipe, SERVICE, "user.created",
                           {"user_id": user["id"], "email": user["email"], "role": user["role"]})
            pipe.execute()
            return True
        except redis.WatchError:
            return False


def update(r: redis.Redis, user_id: str, changes: dict, *, event: tuple[str, dict] | None = None,
           old_role: str | None = None) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.hset(f"user:{user_id}", mapping=changes)
    if "role" in changes:
        if changes["role"] == "admin":
            pipe.sadd("admins", user_id)
        else:
            pipe.srem("admins", user_id)
    if event:
        events.publish(pipe, SERVICE, event[0], event[1])
    pipe.execute()


def set_password_hash(r: redis.Redis, user_id: str, password_hash: str) -> None:
    r.hset(f"user:{user_id}", "password_hash", password_hash)


def admin_count(r: redis.Redis) -> int:
    return r.scard("admins")


def delete(r: redis.Redis, user: dict) -> None:
    """Remove the account with its follows and subscriptions, and say so, in one transaction."""
    user_id = user["id"]
    incidents = r.smembers(f"follows:{user_id}")
    components = r.smembers(f"subscriptions:{user_id}")
    pipe = r.pipeline(transaction=True)
    for incident_id in incidents:
        pipe.srem(f"followers:{incident_id}", user_id)
    for component_id in components:
        pipe.srem(f"subscribers:{component_id}", user_id)
    pipe.delete(f"user:{user_id}", f"follows:{user_id}", f"subscriptions:{user_id}", f"user-email:{user['email']}")
    pipe.zrem("users", user_id)
    pipe.srem("admins", user_id)
    events.publish(pipe, SERVICE, "user.deleted", {"user_id": user_id, "email": user["email"]})
    pipe.execute()


def page(r: redis.Redis, offset: int, limit: int) -> tuple[list[dict], int]:
    ids = r.zrange("users", offset, offset + limit - 1)
    pipe = r.pipeline(transaction=False)
    for user_id in ids:
        pipe.hgetall(f"user:{user_id}")
    return [u for u in pipe.execute() if u], r.zcard("users")
