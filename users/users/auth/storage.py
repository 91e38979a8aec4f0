"""Signing keys and refresh tokens in Redis.

Keys: ``signing-keys`` (hash kid -> JSON {pem, created_at, retired_at}), ``signing-key:current``
(kid). Refresh tokens are stored by the SHA-256 of their value (``refresh:{digest}``, a hash
with user id, family, use count, first use time, and how the sign-in was made: ``password``,
``sso`` or ``passkey``) in families (``refresh-family:{family}``, a
set of digests), both expiring with the token; ``refresh-families:{user_id}`` (set) lists a
person's families, so "sign out everywhere" finds them all. ``refresh-id-token:{family}`` (string)
is the identity provider's ID token of a session that single sign-on started, the hint that ends
it at the provider too: it expires with the family and goes when the family is revoked.
"""
from __future__ import annotations

import hashlib
import json

import redis


def keys(r: redis.Redis) -> dict[str, dict]:
    return {kid: json.loads(raw) for kid, raw in r.hgetall("signing-keys").items()}


def current_kid(r: redis.Redis) -> str | None:
    return r.get("signing-key:current")


def add_key(r: redis.Redis, kid: str, pem: str, created_at: float) -> None:
    r.hset("signing-keys", kid, json.dumps({"pem": pem, "created_at": created_at, "retired_at": None}))


def make_current_if_none(r: redis.Redis, kid: str) -> bool:
    """Replicas starting together race here; SET NX makes exactly one key the first."""
    return bool(r.set("signing-key:current", kid, nx=True))


def rotate(r: redis.Redis, new_kid: str, pem: str, now: float) -> str | None:
    """Make ``new_kid`` current and mark the previous key retired (it keeps verifying)."""
    old = current_kid(r)
    pipe = r.pipeline(transaction=True)
    pipe.hset("signing-keys", new_kid, json.dumps({"pem": pem, "created_at": now, "retired_at": None}))
    if old:
        entry = json.loads(r.hget("signing-keys", old) or "{}")
        entry["retired_at"] = now
        pipe.hset("signing-keys", old, json.dumps(entry))
    pipe.set("signing-key:current", new_kid)
    pipe.execute()
    return old


def drop_key(r: redis.Redis, kid: str) -> None:
    r.hdel("signing-keys", kid)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def store_refresh(r: redis.Redis, token: str, *, user_id: str, family: str, ttl_s: int,
                  method: str = "password", id_token: str | None = None) -> None:
    """``id_token`` starts an SSO session's hint; each later token of the family keeps it alive."""
    key = f"refresh:{digest(token)}"
    pipe = r.pipeline(transaction=True)
    pipe.hset(key, mapping={"user_id": user_id, "family": family, "uses": 0, "method": method})
    pipe.expire(key, ttl_s)
    pipe.sadd(f"refresh-family:{family}", digest(token))
    pipe.expire(f"refresh-family:{family}", ttl_s)
    if id_token:
        pipe.set(f"refresh-id-token:{family}", id_token, ex=ttl_s)
    elif method == "sso":
        pipe.expire(f"refresh-id-token:{family}", ttl_s)
    pipe.sadd(f"refresh-families:{user_id}", family)
    pipe.expire(f"refresh-families:{user_id}", ttl_s)
    pipe.execute()


def use_refresh(r: redis.Redis, token: str, *, now: float) -> tuple[dict | None, int]:
    """(the token's record with ``used_at``, the time of its first use; how many times it has
    now been used), counted atomically across replicas."""
    key = f"refresh:{digest(token)}"
    record = r.hgetall(key)
    if not record:
        return None, 0
    pipe = r.pipeline(transaction=True)
    pipe.hincrby(key, "uses", 1)
    pipe.hsetnx(key, "used_at", now)
    pipe.hget(key, "used_at")
    uses, _, used_at = pipe.execute()
    return {**record, "used_at": float(used_at)}, uses


def id_token_of(r: redis.Redis, family: str) -> str | None:
    return r.get(f"refresh-id-token:{family}")


def revoke_family(r: redis.Redis, family: str) -> None:
    members = r.smembers(f"refresh-family:{family}")
    pipe = r.pipeline(transaction=True)
    for member in members:
        pipe.delete(f"refresh:{member}")
    pipe.delete(f"refresh-family:{family}", f"refresh-id-token:{family}")
    pipe.execute()


def revoke_user(r: redis.Redis, user_id: str, *, keep: str | None = None) -> int:
    """Revoke every session of an account but ``keep``; how many were revoked."""
    families = r.smembers(f"refresh-families:{user_id}")
    revoked = 0
    for family in families:
        if family == keep:
            continue
        revoke_family(r, family)
        r.srem(f"refresh-families:{user_id}", family)
        revoked += 1
    return revoked


def login_failures(r: redis.Redis, email: str) -> tuple[int, int]:
    """(failed sign-ins of this email in the window, seconds until the window ends, at least 1)."""
    key = f"login-fail:{email}"
    pipe = r.pipeline(transaction=False)
    pipe.get(key)
    pipe.ttl(key)
    count, ttl = pipe.execute()
    return int(count or 0), max(1, ttl)


def count_login_failure(r: redis.Redis, email: str, *, window_s: int) -> None:
    pipe = r.pipeline(transaction=False)
    pipe.incr(f"login-fail:{email}")
    pipe.expire(f"login-fail:{email}", window_s, nx=True)
    pipe.execute()


def clear_login_failures(r: redis.Redis, email: str) -> None:
    r.delete(f"login-fail:{email}")
