"""Flag administration: admins write, staff read; every change audited and published."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus import audit
from polystatus.auth import current_identity, require_role
from polystatus.clock import isoformat
from polystatus.errors import Conflict, Invalid, NotFound
from polystatus.redis_store import get_redis

from . import flows, schemas, service, storage

bp = APIBlueprint("flags", __name__, tag="Flags")


def now() -> str:
    return isoformat(current_app.config["CLOCK"].now())


def actor() -> str:
    identity = current_identity()
    return identity.email or identity.sub


def load(key: str) -> dict:
    flag = storage.get(get_redis(), key)
    if flag is None:
        raise NotFound("No such flag.")
    return flag


@bp.get("/flags")
@bp.output(schemas.FlagListOut)
@bp.doc(summary="Every flag (staff)")
@require_role("staff")
def list_flags():
    return {"flags": list(storage.all_flags(get_redis()).values())}


@bp.post("/flags")
@bp.input(schemas.FlagIn)
@bp.output(schemas.FlagOut, status_code=201)
@bp.doc(summary="Create a flag (admin)", responses={409: "Key taken", 422: "Invalid flag"})
@require_role("admin")
def create_flag(json_data):
    r = get_redis()
    if storage.get(r, json_data["key"]):
        raise Conflict("A flag with this key exists.")
    flag = service.validate({**json_data, "created_at": now(), "updated_at": now(), "version": 1},
                            storage.all_segments(r))
    flows.write(r, key=flag["key"], before=None, after=flag, actor=actor(), at=now())
    return flag


@bp.get("/flags/<key>")
@bp.output(schemas.FlagOut)
@bp.doc(summary="One flag (staff)")
@require_role("staff")
def get_flag(key):
    return load(key)


@bp.patch("/flags/<key>")
@bp.input(schemas.FlagPatch)
@bp.output(schemas.FlagOut)
@bp.doc(summary="Change a flag: enabled=false is the kill switch (admin)", responses={422: "Invalid flag"})
@require_role("admin")
def update_flag(key, json_data):
    r = get_redis()
    before = load(key)
    after = service.validate({**before, **json_data, "updated_at": now(), "version": before.get("version", 1) + 1},
                             storage.all_segments(r))
    # The audit trail's entry: only the fields this change touched, as they were and are.
    changed = sorted(k for k in after if k not in ("updated_at", "version") and before.get(k) != after.get(k))
    audit.describe(before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})
    flows.write(r, key=key, before=before, after=after, actor=actor(), at=now())
    return after


@bp.delete("/flags/<key>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a flag (admin)")
@require_role("admin")
def delete_flag(key):
    flows.write(get_redis(), key=key, before=load(key), after=None, actor=actor(), at=now())
    return ""


@bp.get("/flags/<key>/audit")
@bp.output(schemas.AuditOut)
@bp.doc(summary="Who changed the flag, when, from what to what (staff)")
@require_role("staff")
def flag_audit(key):
    entries = storage.audit(get_redis(), key)
    if not entries:
        raise NotFound("No such flag.")
    return {"entries": entries}


@bp.post("/segments")
@bp.input(schemas.SegmentIn)
@bp.output(schemas.SegmentOut, status_code=201)
@bp.doc(summary="Create or replace a reusable segment (admin)", responses={422: "Invalid conditions"})
@require_role("admin")
def put_segment(json_data):
    r = get_redis()
    segments = storage.all_segments(r)
    problems = service._check_when(json_data["when"], segments)
    if problems:
        raise Invalid("The segment is not valid.", details={"when": problems})
    segment = {**json_data, "updated_at": now()}
    flows.write(r, key=segment["key"], before=segments.get(segment["key"]), after=segment, actor=actor(), at=now(),
                kind="segment")
    return segment


@bp.delete("/segments/<key>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a segment (admin); refused while a flag's rule or another segment uses it",
        responses={404: "No such segment", 409: "Still used: details.flags and details.segments name the users"})
@require_role("admin")
def delete_segment(key):
    flows.delete_segment(get_redis(), key, actor=actor(), at=now())
    return ""


@bp.get("/segments")
@bp.output(schemas.SegmentOut(many=True))
@bp.doc(summary="Every segment (staff)")
@require_role("staff")
def list_segments():
    return list(storage.all_segments(get_redis()).values())


@bp.get("/flags/export")
@bp.output(schemas.Document)
@bp.doc(summary="Every flag and segment as one JSON document (keep it in git) (staff)")
@require_role("staff")
def export_flags():
    r = get_redis()
    return {"flags": list(storage.all_flags(r).values()), "segments": list(storage.all_segments(r).values())}


@bp.put("/flags/import")
@bp.input(schemas.Document)
@bp.output(schemas.ImportOut)
@bp.doc(summary="Apply a document from /flags/export: creates and updates, all or nothing (admin)",
        responses={422: "An invalid flag; nothing applied"})
@require_role("admin")
def import_flags(json_data):
    return flows.import_document(get_redis(), json_data, actor=actor(), at=now())
