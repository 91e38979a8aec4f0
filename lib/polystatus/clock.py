"""Time, made controllable so tests can move it (maintenance windows, heartbeat grace, ...).

Services read the time through ``app.config["CLOCK"]`` (or a clock passed to a worker) and
never call ``datetime.now()`` in domain code.
"""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def timestamp(self) -> float:
        return self.now().timestamp()


class FrozenClock(SystemClock):
    """A clock that only moves when told to (thread-safe, for tests and the simulator)."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, the one format every API answers in."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value) -> datetime:
    """An ISO 8601 date-time (``Z`` or an offset) as an aware datetime; one without an offset is
    read as UTC, the only zone we write. Raises ValueError for anything else."""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
