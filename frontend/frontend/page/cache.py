"""A short-lived cache in front of the backends, so a traffic spike during an outage does not
reach them, and so the page answers from what it has whatever hangs behind it.

- Fresh (younger than TTL): served from this process's copy; nothing else is asked.
- Stale (up to STALE seconds): served from this process's copy *at once*, and one background
  thread refreshes it (single flight per key). No visitor waits for a refresh, so a backend or
  a Redis that hangs costs nobody anything while a copy is in hand.
- Nothing in this process (a start, a new replica): the shared copy in the frontend's Redis
  (replicas share the work; read with the Redis client's short timeout), else the request
  produces it, one at a time per key, the others waiting for that one.

The in-process copy is always looked at first: the shared one is only a way to start warm.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

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
        self.producers: dict[str, Callable[[], dict]] = {}
        self.guard = threading.Lock()
        self.refresher = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cache-refresh")

    def _lock(self, key: str) -> threading.Lock:
        with self.guard:
            return self.locks.setdefault(key, threading.Lock())

    def peek(self, key: str) -> tuple[Entry, float] | None:
        """This process's copy of ``key`` with its age, if it may be served: fresh, or stale
        within the stale window (a background refresh is then started). None: nothing in hand
        (the caller produces it through :meth:`entry`)."""
        entry = self.local.get(key)
        if entry is None:
            return None
        age = time.time() - entry.stored_at
        if age < self.ttl:
            return entry, age
        if age < self.stale and key in self.producers:
            self._refresh_later(key)
            return entry, age
        return None

    def _refresh_later(self, key: str) -> None:
        lock = self._lock(key)
        if not lock.acquire(blocking=False):
            return  # already being refreshed
        try:
            self.refresher.submit(self._refresh, key, lock)
        except RuntimeError:  # shutting down
            lock.release()

    def _refresh(self, key: str, lock: threading.Lock) -> None:
        try:
            shared = self._shared(key)
            current = self.local.get(key)
            if shared and time.time() - shared.stored_at < self.ttl and (
                    current is None or shared.stored_at > current.stored_at):
                self.local[key] = shared  # another replica refreshed it already
                return
            self._store(key, self.producers[key]())
        except Exception as exc:  # noqa: BLE001 — a backend down is when the copy in hand matters
            entry = self.local.get(key)
            log.warning("refreshing %s failed (%s); serving the copy from %.0f s ago", key, exc,
                        time.time() - entry.stored_at if entry else -1)
        finally:
            lock.release()

    def _shared(self, key: str) -> Entry | None:
        try:
            raw = self.r.get(f"cache:{key}")
        except redis.RedisError:
            return None
        if not raw:
            return None
        try:
            doc = json.loads(raw)
            return Entry(doc["value"], doc["stored_at"])
        except (ValueError, KeyError, TypeError):
            log.warning("the shared copy of %s is unreadable; ignoring it", key)
            return None

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
        """(entry, age in seconds): the copy in hand if there is one (see the module)."""
        self.producers[key] = produce
        found = self.peek(key)
        if found is not None:
            return found
        lock = self._lock(key)
        with lock:
            current = self.local.get(key)
            if current is not None and time.time() - current.stored_at < self.stale:
                return current, time.time() - current.stored_at  # produced while we waited
            shared = self._shared(key)
            if shared is not None and time.time() - shared.stored_at < self.stale:
                self.local[key] = shared
                entry = shared
            else:
                try:
                    return self._store(key, produce()), 0.0
                except Exception:
                    if current is None:
                        raise
                    # Older than STALE, but still better than an error page.
                    log.warning("refreshing %s failed; serving the copy from %.0f s ago", key,
                                time.time() - current.stored_at)
                    return current, time.time() - current.stored_at
        age = time.time() - entry.stored_at
        if age >= self.ttl:
            self._refresh_later(key)
        return entry, age
