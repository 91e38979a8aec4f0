"""Audit use cases: keep an entry (the consumer), find entries (the API)."""
from __future__ import annotations

import itertools
from collections.abc import Iterator

import redis
from polystatus.events import Event

from . import service, storage


def keep(*, event: Event, pipe: redis.client.Pipeline, now_ms: int, retention_days: int) -> None:
    """The consumer's handler body: store one ``audit.recorded`` event in the handler's pipeline."""
    entry = service.entry_from_event(event_id=event.id, time=event.time, source=event.source, data=event.data)
    if event.request_id:
        entry["request_id"] = event.request_id
    storage.add(pipe, entry, score_ms=service.time_ms(event.time),
                floor_ms=service.retention_floor_ms(now_ms=now_ms, retention_days=retention_days))


def matching(r: redis.Redis, *, query: service.Query) -> Iterator[dict]:
    return (entry for entry in storage.newest_first(r, since_ms=query.since_ms, until_ms=query.until_ms)
            if query.matches(entry))


def page(r: redis.Redis, *, query: service.Query, page_number: int, per_page: int) -> dict:
    """One page of matching entries, newest first, and how many match in all."""
    start = (page_number - 1) * per_page
    entries, total = [], 0
    for index, entry in enumerate(matching(r, query=query)):
        if start <= index < start + per_page:
            entries.append(entry)
        total = index + 1
    return {"entries": entries, "total": total, "page": page_number, "per_page": per_page}


def export(r: redis.Redis, *, query: service.Query, limit: int) -> Iterator[dict]:
    return itertools.islice(matching(r, query=query), limit)
