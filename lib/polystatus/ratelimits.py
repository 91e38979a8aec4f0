"""Rate limits in Redis, and who the client is.

Fixed windows (INCR + EXPIRE in one round trip): cheap, and shared by every replica. The
trade-off is a burst of up to twice the limit across a window boundary, accepted here because
the limits guard against abuse, not against exact quotas. Every caller says what time it is
(its app's CLOCK), so windows follow the same clock as everything else the service decides.
"""
from __future__ import annotations

import functools
import ipaddress
import threading

import redis

from .errors import RateLimited


def window_key(name: str, window_s: int, now: float) -> tuple[str, int]:
    """The counter key of the current window of ``name``, and seconds until it resets (for
    callers that fold the limit into their own script)."""
    window = int(now // window_s)
    return f"rl:{name}:{window}", max(1, int((window + 1) * window_s - now))


def hit(r: redis.Redis, name: str, limit: int, window_s: int, *, now: float) -> tuple[bool, int]:
    """Count one hit on ``name``; (allowed, seconds until the window resets)."""
    key, retry_after = window_key(name, window_s, now)
    pipe = r.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, window_s + 1)
    count = pipe.execute()[0]
    return count <= limit, retry_after


class ReservedLimiter:
    """A fixed-window limit for hot paths: hits are counted in process and reserved from the
    shared Redis window in chunks, so most requests cost no round trip.

    Trade-off: a process may hold up to ``chunk`` reserved hits it never uses, so across P
    processes the limit can bite up to P*chunk hits early within a window (never late).
    """

    def __init__(self, chunk: int = 50):
        self.chunk = chunk
        self.left: dict[str, int] = {}
        self.lock = threading.Lock()

    def hit(self, r: redis.Redis, name: str, limit: int, window_s: int, *, now: float) -> tuple[bool, int]:
        key, retry_after = window_key(name, window_s, now)
        with self.lock:
            if self.left.get(key, 0) > 0:
                self.left[key] -= 1
                return True, retry_after
        chunk = max(1, min(self.chunk, limit // 20))
        pipe = r.pipeline(transaction=False)
        pipe.incrby(key, chunk)
        pipe.expire(key, window_s + 1)
        total = pipe.execute()[0]
        granted = min(chunk, limit - (total - chunk))
        if granted <= 0:
            return False, retry_after
        with self.lock:
            # keys of past windows are dropped; bounded by the number of distinct callers
            if len(self.left) > 10_000:
                self.left.clear()
            self.left[key] = self.left.get(key, 0) + granted - 1
        return True, retry_after


def enforce(r: redis.Redis, name: str, limit: int, window_s: int, *, now: float, what: str = "requests") -> None:
    allowed, retry_after = hit(r, name, limit, window_s, now=now)
    if not allowed:
        raise RateLimited(f"Too many {what}; try again in {retry_after} s.", retry_after=retry_after)


@functools.lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> list:
    # Parsed once per setting, not per request: it is on the path of every report.
    return [ipaddress.ip_network(item, strict=False) for item in trusted]


@functools.lru_cache(maxsize=256)
def _is_trusted(address: str, trusted: tuple[str, ...]) -> bool:
    # Cached: the address asking is nearly always the same proxy or two.
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted))


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted: list[str]) -> str:
    """The caller's address: X-Forwarded-For is believed only from a trusted proxy.

    The right-most untrusted hop is taken, so a client cannot choose its own address by
    sending a forged header through the proxy.
    """
    remote = remote_addr or "0.0.0.0"
    trusted = tuple(trusted)
    if not forwarded_for or not _is_trusted(remote, trusted):
        return remote
    networks = _networks(trusted)
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ip = ipaddress.ip_address(hop)
        except ValueError:
            return remote
        if not any(ip in network for network in networks):
            return str(ip)
    return hops[0] if hops else remote
