"""Flag use cases (no Flask): the views, the demo and the import call these."""
from __future__ import annotations

import redis
from marshmallow import ValidationError
from polystatus import events
from polystatus.errors import Conflict, Invalid, NotFound
from polystatus.redis_store import atomic

from . import schemas, service, storage

SERVICE = "feature-flags"


def write(r: redis.Redis, *, key: str, before: dict | None, after: dict | None, actor: str, at: str,
          kind: str = "flag") -> None:
    """Save (or delete: ``after`` None) a flag or segment with its audit entry, the version bump
    and its ``flag.changed`` / ``segment.changed`` event, in one transaction."""
    with atomic(r, durable=True) as pipe:
        _queue_write(pipe, key=key, before=before, after=after, actor=actor, at=at, kind=kind)


def _queue_write(pipe, *, key: str, before: dict | None, after: dict | None, actor: str, at: str, kind: str) -> None:
    entry = service.change_entry(kind=kind, key=key, before=before, after=after, actor=actor, at=at)
    storage.queue_write(pipe, kind=kind, key=key, value=after, entry=entry)
    events.publish(pipe, SERVICE, f"{kind}.changed",
                   {"key": key, "action": entry["action"], "actor": actor, "before": before, "after": after})


def import_document(r: redis.Redis, document: dict, *, actor: str, at: str) -> dict:
    """Apply a document from /flags/export: every segment and flag checked first, then the
    changed ones written (each with its audit entry and event); all or nothing on errors."""
    checked_segments, checked, errors = [], [], {}
    for index, raw in enumerate(document["segments"]):
        try:
            segment = schemas.SegmentIn().load({k: v for k, v in raw.items() if k != "updated_at"})
            checked_segments.append(segment)
        except ValidationError as exc:
            errors[f"segments[{index}]"] = exc.messages
    segments = {**storage.all_segments(r), **{s["key"]: s for s in checked_segments}}
    for index, segment in enumerate(checked_segments):
        problems = service._check_when(segment["when"], segments)
        if problems:
            errors[f"segments[{index}]"] = problems
    for index, raw in enumerate(document["flags"]):
        try:
            data = schemas.FlagIn().load({k: v for k, v in raw.items() if k in schemas.FlagIn().fields})
            checked.append(service.validate(data, segments))
        except ValidationError as exc:
            errors[f"flags[{index}]"] = exc.messages
        except Invalid as exc:
            errors[f"flags[{index}]"] = exc.details
    if errors:
        raise Invalid("The document has invalid flags or segments; nothing was applied.", details=errors)
    existing = storage.all_flags(r)
    outcome = {"created": 0, "updated": 0, "unchanged": 0}
    current_segments = storage.all_segments(r)
    for segment in checked_segments:
        if current_segments.get(segment["key"], {}).get("when") != segment["when"]:
            write(r, key=segment["key"], before=current_segments.get(segment["key"]),
                  after={**segment, "updated_at": at}, actor=actor, at=at, kind="segment")
    for flag in checked:
        before = existing.get(flag["key"])
        comparable = {k: v for k, v in (before or {}).items() if k not in ("created_at", "updated_at", "version")}
        if before and comparable == flag:
            outcome["unchanged"] += 1
            continue
        after = {**flag, "created_at": (before or {}).get("created_at", at), "updated_at": at,
                 "version": (before or {}).get("version", 0) + 1}
        write(r, key=flag["key"], before=before, after=after, actor=actor, at=at)
        outcome["updated" if before else "created"] += 1
    return outcome


def delete_segment(r: redis.Redis, key: str, *, actor: str, at: str) -> dict:
    """Delete a segment no rule uses: while a flag's rule or another segment names it, 409 naming
    them. Answers the segment as it was."""

    def delete(pipe, flags: dict, segments: dict) -> dict:
        segment = segments.get(key)
        if segment is None:
            raise NotFound("No such segment.")
        users = service.segment_users(key, flags, segments)
        if users["flags"] or users["segments"]:
            named = ", ".join([*(f"flag {k}" for k in users["flags"]), *(f"segment {k}" for k in users["segments"])])
            raise Conflict(f"The segment {key} is still used by {named}: change their rules first.",
                           code="segment_in_use", details=users)
        _queue_write(pipe, key=key, before=segment, after=None, actor=actor, at=at, kind="segment")
        return segment

    return storage.change_segments(r, delete)
