"""Read tokens for a private status page (PAGE_VISIBILITY, frontend/access): an admin makes
one per dashboard or feed reader; the frontend asks whether a ``?token=`` is one."""
from __future__ import annotations

import hashlib
import secrets

from apiflask import APIBlueprint
from flask import current_app
from polystatus import audit
from polystatus.auth import current_identity, require_role
from polystatus.clock import isoformat
from polystatus.errors import NotFound
from polystatus.redis_store import get_redis

from . import schemas, storage

bp = APIBlueprint("readtokens", __name__, tag="Page read tokens")
PREFIX = "psr_"  # recognisable in a leaked log or URL, and by secret scanners


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@bp.post("/page-tokens")
@require_role("admin")
@bp.input(schemas.ReadTokenIn)
@bp.output(schemas.ReadTokenCreated, status_code=201)
@bp.doc(summary="Make a read token for a private page's feeds, badges and API (admin; the token is shown once)")
def create_token(json_data):
    token = PREFIX + secrets.token_urlsafe(32)
    record = {"id": secrets.token_hex(8), "name": json_data["name"],
              "created_at": isoformat(current_app.config["CLOCK"].now()), "created_by": current_identity().sub}
    storage.create(get_redis(), record, digest(token))
    return {**record, "token": token}


@bp.get("/page-tokens")
@require_role("admin")
@bp.output(schemas.ReadTokenList)
@bp.doc(summary="The read tokens (admin; never the tokens themselves)")
def list_tokens():
    return {"tokens": storage.all_records(get_redis())}


@bp.delete("/page-tokens/<token_id>")
@require_role("admin")
@bp.output({}, status_code=204)
@bp.doc(summary="Revoke a read token (admin; the frontend forgets it within a minute)")
def revoke_token(token_id):
    record = storage.get(get_redis(), token_id)
    if record is None:
        raise NotFound("No such read token.")
    storage.delete(get_redis(), record)
    return ""


@bp.post("/page-tokens/check")
@audit.exempt("a read sent as a POST (the token stays out of URLs and logs)")
@require_role("service")
@bp.input(schemas.ReadTokenCheck)
@bp.output({}, status_code=204)
@bp.doc(summary="Is this a valid read token? (services: the frontend)", responses={404: "not a read token"})
def check_token(json_data):
    if not storage.exists(get_redis(), digest(json_data["token"])):
        raise NotFound("Not a read token.")
    return ""
