"""Two-factor state in Redis.

Keys: ``totp:{user_id}`` (hash: secret, enabled_at, last_step), ``totp-pending:{user_id}`` (the
secret being set up, 10 minutes), ``totp-recovery:{user_id}`` (set of recovery-code digests),
``mfa:{sha256 of the challenge}`` (hash: user_id, session, attempts; the sign-in waiting for its
second step, 5 minutes).

The TOTP secret is kept as is: checking a code needs it (an HMAC key, not a password), like the
signing keys beside it; Redis holds the service's secrets and is guarded as such.
"""
from __future__ import annotations

import hashlib

import redis

PENDING_TTL_S = 600
CHALLENGE_TTL_S = 300


def state(r: redis.Redis, user_id: str) -> dict | None:
    return r.hgetall(f"totp:{user_id}") or None


def enrolled(r: redis.Redis, user_id: str) -> bool:
    return bool(r.exists(f"totp:{user_id}"))


def enabled_since(r: redis.Redis, user_ids: list[str]) -> dict[str, str | None]:
    """{user id: when two-factor sign-in was turned on, or None}, in one round trip."""
    pipe = r.pipeline(transaction=False)
    for user_id in user_ids:
        pipe.hget(f"totp:{user_id}", "enabled_at")
    return dict(zip(user_ids, pipe.execute(), strict=True))


def set_pending(r: redis.Redis, user_id: str, secret: str) -> None:
    r.set(f"totp-pending:{user_id}", secret, ex=PENDING_TTL_S)


def pending(r: redis.Redis, user_id: str) -> str | None:
    return r.get(f"totp-pending:{user_id}")


def queue_enable(pipe, user_id: str, *, secret: str, step: int, recovery_digests: list[str], at: str) -> None:
    """Queue turning two-factor sign-in on (the flow's unit of work commits it with its event)."""
    pipe.hset(f"totp:{user_id}", mapping={"secret": secret, "enabled_at": at, "last_step": step})
    pipe.delete(f"totp-pending:{user_id}", f"totp-recovery:{user_id}")
    pipe.sadd(f"totp-recovery:{user_id}", *recovery_digests)


def queue_disable(pipe, user_id: str) -> None:
    pipe.delete(f"totp:{user_id}", f"totp-pending:{user_id}", f"totp-recovery:{user_id}")


_USE_STEP = """
local last = tonumber(redis.call('hget', KEYS[1], 'last_step') or '-1')
if tonumber(ARGV[1]) > last then redis.call('hset', KEYS[1], 'last_step', ARGV[1]) return 1 end
return 0
"""


def use_step(r: redis.Redis, user_id: str, step: int) -> bool:
    """Record ``step`` as used, atomically: of two sign-ins with one code, one wins."""
    return bool(r.eval(_USE_STEP, 1, f"totp:{user_id}", step))


def use_recovery(r: redis.Redis, user_id: str, code_digest: str) -> bool:
    return bool(r.srem(f"totp-recovery:{user_id}", code_digest))


def recovery_left(r: redis.Redis, user_id: str) -> int:
    return r.scard(f"totp-recovery:{user_id}")


def _challenge_key(challenge: str) -> str:
    return f"mfa:{hashlib.sha256(challenge.encode()).hexdigest()}"


def save_challenge(r: redis.Redis, challenge: str, *, user_id: str, session: str) -> None:
    key = _challenge_key(challenge)
    pipe = r.pipeline(transaction=True)
    pipe.hset(key, mapping={"user_id": user_id, "session": session, "attempts": 0})
    pipe.expire(key, CHALLENGE_TTL_S)
    pipe.execute()


def attempt_challenge(r: redis.Redis, challenge: str) -> tuple[dict | None, int]:
    """(the challenge's record, how many attempts it has now had, this one included)."""
    key = _challenge_key(challenge)
    pipe = r.pipeline(transaction=True)
    pipe.hgetall(key)
    pipe.hincrby(key, "attempts", 1)
    record, attempts = pipe.execute()
    if not record:
        r.delete(key)  # HINCRBY made a stray hash
        return None, 0
    return record, attempts


def drop_challenge(r: redis.Redis, challenge: str) -> None:
    r.delete(_challenge_key(challenge))
