"""Passkeys in Redis.

Keys: ``passkey:{credential id}`` (hash: the record of users/passkeys/service.py; transports as
JSON), ``passkeys:of:{user_id}`` (set of a person's credential ids), ``passkey-challenge:{sha256 of
the challenge}`` (JSON: what the challenge is for, and whose registration; short-lived, taken
once with GETDEL so that of two answers to one challenge only the first is looked at).

A credential's public key is kept as is: it is public. What must not be lost to a race is the
sign count, moved forward only by a script that compares it (:func:`use`).
"""
from __future__ import annotations

import hashlib
import json

import redis

CHALLENGE_TTL_S = 300


def _challenge_key(challenge: bytes) -> str:
    return f"passkey-challenge:{hashlib.sha256(challenge).hexdigest()}"


def save_challenge(r: redis.Redis, challenge: bytes, *, purpose: str, user_id: str | None = None) -> None:
    r.set(_challenge_key(challenge), json.dumps({"purpose": purpose, "user_id": user_id}), ex=CHALLENGE_TTL_S)


def take_challenge(r: redis.Redis, challenge: bytes) -> dict | None:
    """What the challenge was issued for, and it is used up; None when unknown, expired or used."""
    raw = r.getdel(_challenge_key(challenge))
    return json.loads(raw) if raw else None


def _record(raw: dict) -> dict | None:
    if not raw:
        return None
    return {**raw, "sign_count": int(raw["sign_count"]), "transports": json.loads(raw.get("transports") or "[]"),
            "backed_up": raw.get("backed_up") == "1", "last_used_at": raw.get("last_used_at") or None}


def get(r: redis.Redis, credential_id: str) -> dict | None:
    return _record(r.hgetall(f"passkey:{credential_id}"))


def of_user(r: redis.Redis, user_id: str) -> list[dict]:
    ids = sorted(r.smembers(f"passkeys:of:{user_id}"))
    pipe = r.pipeline(transaction=False)
    for credential_id in ids:
        pipe.hgetall(f"passkey:{credential_id}")
    found = [_record(raw) for raw in pipe.execute()]
    return sorted((p for p in found if p), key=lambda p: p["created_at"])


def count(r: redis.Redis, user_id: str) -> int:
    return r.scard(f"passkeys:of:{user_id}")


def queue_add(pipe, passkey: dict) -> None:
    """Queue a new credential and its place in its owner's list (the flow commits it with its event)."""
    pipe.hset(f"passkey:{passkey['id']}", mapping={
        **{k: v for k, v in passkey.items() if v is not None and k not in ("transports", "backed_up")},
        "transports": json.dumps(passkey["transports"]), "backed_up": "1" if passkey["backed_up"] else "0"})
    pipe.sadd(f"passkeys:of:{passkey['user_id']}", passkey["id"])


def queue_remove(pipe, passkey: dict) -> None:
    pipe.delete(f"passkey:{passkey['id']}")
    pipe.srem(f"passkeys:of:{passkey['user_id']}", passkey["id"])


def queue_remove_all(pipe, r: redis.Redis, user_id: str) -> None:
    """Every passkey of an account (the account is deleted)."""
    for credential_id in r.smembers(f"passkeys:of:{user_id}"):
        pipe.delete(f"passkey:{credential_id}")
    pipe.delete(f"passkeys:of:{user_id}")


# The count the flow read, the new one, the time: moved only if the stored count is still the
# one read (another sign-in with the same count, or the credential removed meanwhile, loses).
_USE = """
local stored = redis.call('hget', KEYS[1], 'sign_count')
if not stored or stored ~= ARGV[1] then return 0 end
redis.call('hset', KEYS[1], 'sign_count', ARGV[2], 'last_used_at', ARGV[3])
return 1
"""


def use(r: redis.Redis, credential_id: str, *, read_count: int, new_count: int, at: str) -> bool:
    return bool(r.eval(_USE, 1, f"passkey:{credential_id}", str(read_count), str(new_count), at))
