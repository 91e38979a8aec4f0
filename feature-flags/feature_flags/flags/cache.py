"""Flags and segments held in process, refreshed when the version counter moves.

Each evaluation costs at most one GET of the counter, and none within FLAG_CACHE_S of the last
look. Trade-off: a change can take up to FLAG_CACHE_S (default 1 s) to reach every replica.
"""
from __future__ import annotations

import threading
import time

from . import storage


class FlagCache:
    def __init__(self, max_age_s: float):
        self.max_age_s = max_age_s
        self.version = -1
        self.checked_at = 0.0
        self.flags: dict[str, dict] = {}
        self.segments: dict[str, dict] = {}
        self.lock = threading.Lock()

    def snapshot(self, r) -> tuple[int, dict, dict]:
        now = time.monotonic()
        if now - self.checked_at >= self.max_age_s:
            current = storage.version(r)
            with self.lock:
                if current != self.version:
                    self.flags, self.segments = storage.all_flags(r), storage.all_segments(r)
                    self.version = current
                self.checked_at = now
        return self.version, self.flags, self.segments
