"""A short-lived cache in front of the backends, so a traffic spike during an outage does not
reach them: fresh for TTL seconds, then served stale while one request refreshes it (single
flight), and kept up to STALE seconds for when a backend is down. In process, and in the
frontend's own Redis so replicas share the work."""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

import redis

log = logging.getLogger("frontend.cache")


class Entry:
    def __init__(self, value: dict, stored_at: float):
        self.value = value
        self.stored_at = stored_at
        # What callers derive from the value (its JSON text, its ETag), made once per entry
        # rather than once per request: under a spike that is most of the work.
        self.rendered: dict[str, object] = {}


class PageCache:
    def __init__(self, r: redis.Redis, ttl: float, stale: float):
        self.r = r
        self.ttl = ttl
        self.stale = stale
        self.local: dict[str, Entry] = {}
        self.locks: dict[str, threading.Lock] = {}
        self.guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self.guard:
            return self.locks.setdefault(key, threading.Lock())

    def peek(self, key: str) -> tuple[Entry, float] | None:
        """This process's copy of ``key`` with its age, if it may be served without producing
        anything: fresh, or stale (within the stale window) while another thread refreshes it,
        as ``entry`` would serve it. None: ask ``entry``."""
        entry = self.local.get(key)
        if entry is None:
            return None
        age = time.time() - entry.stored_at
        if age < self.ttl:
            return entry, age
        lock = self.locks.get(key)
        return (entry, age) if age < self.stale and lock is not None and lock.locked() else None

    def _shared(self, key: str) -> Entry | None:
        try:
            raw = self.r.get(f"cache:{key}")
        except redis.RedisError:
            return None
        if not raw:
            return None
        doc = json.loads(raw)
        return Entry(doc["value"], doc["stored_at"])

    def _store(self, key: str, value: dict) -> Entry:
        entry = Entry(value, time.time())
        self.local[key] = entry
        try:
            self.r.set(f"cache:{key}", json.dumps({"value": value, "stored_at": entry.stored_at}),
                       ex=max(1, int(self.stale)))
        except redis.RedisError:
            pass  # the cache is an optimisation: Redis down must not take the page down
        return entry

    def get(self, key: str, produce: Callable[[], dict]) -> tuple[dict, float]:
        """(value, age in seconds)."""
        entry, age = self.entry(key, produce)
        return entry.value, age

    def entry(self, key: str, produce: Callable[[], dict]) -> tuple[Entry, float]:
        """(entry, age in seconds)."""
        now = time.time()
        entry = self.local.get(key)
        if entry is None or now - entry.stored_at >= self.ttl:
            shared = self._shared(key)
            if shared and (entry is None or shared.stored_at > entry.stored_at):
                entry = self.local[key] = shared
        if entry is not None and now - entry.stored_at < self.ttl:
            return entry, now - entry.stored_at
        lock = self._lock(key)
        if entry is not None and now - entry.stored_at < self.stale:
            if not lock.acquire(blocking=False):
                return entry, now - entry.stored_at  # someone is refreshing: serve stale
        else:
            lock.acquire()
        try:
            current = self.local.get(key)
            if current is not None and time.time() - current.stored_at < self.ttl:
                return current, time.time() - current.stored_at
            try:
                value = produce()
            except Exception:
                # A backend down is when the page matters most: keep serving what we had, for
                # up to STALE seconds. Each refresh still tries (one at a time, under the lock),
                # so the page recovers on the first success.
                if entry is not None and time.time() - entry.stored_at < self.stale:
                    log.warning("refreshing %s failed; serving the copy from %.0f s ago", key,
                                time.time() - entry.stored_at)
                    return entry, time.time() - entry.stored_at
                raise
            entry = self._store(key, value)
            return entry, 0.0
        finally:
            lock.release()
