"""Domain events on Redis Streams (ARCHITECTURE.md section 3).

Publishing: :func:`publish` queues an XADD on the *same* MULTI/EXEC pipeline as the state
change it describes, so an event exists if and only if its change committed.

Consuming: :class:`Consumer` reads a producer's stream with its own consumer group, hands each
event to a handler together with a transaction pipeline on the consumer's *own* Redis, and
commits the handler's writes together with an "already handled" marker for the event id.
Only then is the entry acknowledged on the producer's stream. Consequences:

- a crash before the commit leaves the entry pending; it is redelivered (to this consumer on
  restart, or to another one through XAUTOCLAIM once it has been idle long enough);
- a crash between the commit and the XACK redelivers an event whose marker exists: it is
  acknowledged without running the handler again (idempotence by event id).

Side effects outside Redis (an email, a webhook) cannot join that transaction; handlers that
have them record their own per-recipient progress (see comms' delivery log).
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from .redis_store import commit

log = logging.getLogger("polystatus.events")

HANDLED_TTL_S = 14 * 24 * 3600  # must exceed the longest time an event can wait in a stream
RETRY_PENDING_S = 2.0  # a failed entry is tried again this soon by its own consumer


def stream_key(service: str) -> str:
    return f"events:{service}"


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    source: str
    time: str
    data: dict
    entry_id: str = ""
    request_id: str | None = None

    @classmethod
    def from_entry(cls, entry_id: str, fields: dict) -> Event:
        return cls(
            id=fields.get("id") or entry_id,
            type=fields.get("type", ""),
            source=fields.get("source", ""),
            time=fields.get("time", ""),
            data=json.loads(fields.get("data") or "{}"),
            entry_id=entry_id,
            request_id=fields.get("request_id") or None,
        )


def publish(pipe: redis.client.Pipeline, service: str, type_: str, data: dict, *,
            request_id: str | None = None, now: datetime | None = None) -> str:
    """Queue an event on ``pipe`` (which must be a MULTI pipeline). Returns the event id."""
    event_id = uuid.uuid4().hex
    moment = now or datetime.now(UTC)
    fields = {
        "id": event_id,
        "type": type_,
        "source": service,
        "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "data": json.dumps(data, separators=(",", ":"), default=str),
    }
    if request_id:
        fields["request_id"] = request_id
    pipe.xadd(stream_key(service), fields)
    return event_id


def trim(r: redis.Redis, stream: str, max_age_s: int, *, now_ms: int | None = None) -> int:
    """Drop entries older than ``max_age_s``, but never one a group has yet to read or ack."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    floor = (now_ms - max_age_s * 1000, 0)
    try:
        groups = r.xinfo_groups(stream)
    except redis.ResponseError:
        return 0
    for group in groups:
        pending = r.xpending(stream, group["name"])
        if pending and pending.get("pending"):
            floor = min(floor, _parse_id(pending["min"]))
        last = _parse_id(group["last-delivered-id"])
        # Entries after last-delivered are unread: keep everything from last-delivered on.
        floor = min(floor, last)
    if floor <= (0, 0):
        return 0
    return r.xtrim(stream, minid=f"{floor[0]}-{floor[1]}", approximate=False)


def _parse_id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = str(entry_id).partition("-")
    return int(ms), int(seq or 0)


Handler = Callable[[Event, redis.client.Pipeline], None]


class Consumer:
    """Consume one producer stream with a consumer group. See the module docstring."""

    def __init__(self, *, source: redis.Redis, stream: str, group: str, own: redis.Redis,
                 handler: Handler, name: str | None = None, batch: int = 50, block_ms: int = 1000,
                 claim_idle_ms: int = 30_000, types: set[str] | None = None,
                 max_attempts: int = 10):
        self.source = source
        self.stream = stream
        self.group = group
        self.own = own
        self.handler = handler
        self.name = name or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.batch = batch
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.types = types
        self.max_attempts = max_attempts
        self._recovered = False
        self._retry_at = 0.0

    def ensure_group(self) -> None:
        try:
            self.source.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _handled_key(self, event_id: str) -> str:
        return f"handled:{self.group}:{event_id}"

    def _process(self, entry_id: str, fields: dict) -> bool:
        event = Event.from_entry(entry_id, fields)
        if self.types is not None and event.type not in self.types and not any(
            t.endswith(".*") and event.type.startswith(t[:-1]) for t in self.types
        ):
            self.source.xack(self.stream, self.group, entry_id)
            return True
        marker = self._handled_key(event.id)
        if self.own.exists(marker):
            self.source.xack(self.stream, self.group, entry_id)
            return True
        pipe = self.own.pipeline(transaction=True)
        try:
            self.handler(event, pipe)
        except Exception:
            log.exception("handler failed; the event stays pending and will be retried",
                          extra={"fields": {"event_id": event.id, "type": event.type, "group": self.group}})
            return False
        pipe.set(marker, "1", ex=HANDLED_TTL_S)
        # On a replica before the XACK: after a failover the event is either handled (marker
        # there) or still pending, never acknowledged and forgotten.
        commit(pipe)
        self.source.xack(self.stream, self.group, entry_id)
        return True

    def _handle_entries(self, entries) -> int:
        done = 0
        for entry_id, fields in entries:
            if fields is None:  # deleted by a trim while pending: nothing left to do
                self.source.xack(self.stream, self.group, entry_id)
                continue
            if self._process(entry_id, fields):
                done += 1
            else:
                self._maybe_park(entry_id)
                # Retry our own failed entries soon (a backing service was briefly away), rather
                # than only when XAUTOCLAIM finds them idle for claim_idle_ms.
                self._recovered = False
                self._retry_at = time.monotonic() + RETRY_PENDING_S
        return done

    def _maybe_park(self, entry_id: str) -> None:
        """An entry that failed too often is copied to a parking stream, not lost, not looping."""
        info = self.source.xpending_range(self.stream, self.group, min=entry_id, max=entry_id, count=1)
        if info and info[0]["times_delivered"] >= self.max_attempts:
            entries = self.source.xrange(self.stream, min=entry_id, max=entry_id)
            pipe = self.own.pipeline(transaction=True)
            for _, fields in entries:
                pipe.xadd(f"parked:{self.group}", {**fields, "entry_id": entry_id})
            pipe.execute()
            self.source.xack(self.stream, self.group, entry_id)
            log.error("event parked after %s attempts", info[0]["times_delivered"],
                      extra={"fields": {"entry_id": entry_id, "group": self.group}})

    def run_once(self) -> int:
        """One round: take back stuck entries, replay our own pending ones, then read new ones."""
        self.ensure_group()
        handled = 0
        claimed = self.source.xautoclaim(self.stream, self.group, self.name,
                                         min_idle_time=self.claim_idle_ms, start_id="0-0", count=self.batch)
        handled += self._handle_entries(claimed[1])
        if not self._recovered and time.monotonic() >= self._retry_at:
            # After a restart under the same name, or a failure, our own unacked entries first.
            own_pending = self.source.xreadgroup(self.group, self.name, {self.stream: "0"}, count=self.batch)
            entries = own_pending[0][1] if own_pending else []
            handled += self._handle_entries(entries)
            if not entries:
                self._recovered = True
        response = self.source.xreadgroup(self.group, self.name, {self.stream: ">"},
                                          count=self.batch, block=self.block_ms)
        for _, entries in response or []:
            handled += self._handle_entries(entries)
        return handled

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        log.info("consuming %s as group %s (consumer %s)", self.stream, self.group, self.name)
        backoff = 0.5
        while not stop.is_set():
            try:
                self.run_once()
                backoff = 0.5
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("redis unavailable (%s); retrying in %.1fs", exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 10)
