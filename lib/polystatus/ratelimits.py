"""Rate limits in Redis, and who the client is.

Fixed windows (INCR + EXPIRE in one round trip): cheap, and shared by every replica. The
trade-off is a burst of up to twice the limit across a window boundary, accepted here because
the limits guard against abuse, not against exact quotas.
"""
from __future__ import annotations

import ipaddress
import time

import redis

from .errors import RateLimited


def hit(r: redis.Redis, name: str, limit: int, window_s: int, *, now: float | None = None) -> tuple[bool, int]:
    """Count one hit on ``name``; (allowed, seconds until the window resets)."""
    now = time.time() if now is None else now
    window = int(now // window_s)
    key = f"rl:{name}:{window}"
    pipe = r.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, window_s + 1)
    count = pipe.execute()[0]
    retry_after = max(1, int((window + 1) * window_s - now))
    return count <= limit, retry_after


def enforce(r: redis.Redis, name: str, limit: int, window_s: int, *, what: str = "requests",
            now: float | None = None) -> None:
    allowed, retry_after = hit(r, name, limit, window_s, now=now)
    if not allowed:
        raise RateLimited(f"Too many {what}; try again in {retry_after} s.", retry_after=retry_after)


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted: list[str]) -> str:
    """The caller's address: X-Forwarded-For is believed only from a trusted proxy.

    The right-most untrusted hop is taken, so a client cannot choose its own address by
    sending a forged header through the proxy.
    """
    remote = remote_addr or "0.0.0.0"
    networks = [ipaddress.ip_network(item, strict=False) for item in trusted]

    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    if not forwarded_for or not is_trusted(remote):
        return remote
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote
    return hops[0] if hops else remote
