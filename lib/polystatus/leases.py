"""Redis leases, so that one replica out of N does a periodic job or owns a piece of work."""
from __future__ import annotations

import redis

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


def acquire(r: redis.Redis, name: str, owner: str, ttl_ms: int) -> bool:
    """Take the lease ``name`` for ``ttl_ms`` unless someone else holds it."""
    return bool(r.set(f"lease:{name}", owner, nx=True, px=ttl_ms))


def renew(r: redis.Redis, name: str, owner: str, ttl_ms: int) -> bool:
    return bool(r.eval(_RENEW, 1, f"lease:{name}", owner, ttl_ms))


def release(r: redis.Redis, name: str, owner: str) -> bool:
    return bool(r.eval(_RELEASE, 1, f"lease:{name}", owner))


def once_per(r: redis.Redis, name: str, slot: int | str, ttl_s: int) -> bool:
    """True for exactly one caller per (name, slot): e.g. slot = minute number of a tick."""
    return bool(r.set(f"once:{name}:{slot}", "1", nx=True, ex=max(1, ttl_s)))
