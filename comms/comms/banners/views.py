"""Site-wide banners: staff write, public read the active ones."""
from __future__ import annotations

import secrets

from apiflask import APIBlueprint
from flask import current_app
from polystatus.auth import current_identity, require_role
from polystatus.clock import isoformat
from polystatus.errors import NotFound
from polystatus.redis_store import get_redis

from . import schemas, service, storage

bp = APIBlueprint("banners", __name__, tag="Banners")


def as_text(value):
    return isoformat(value) if value else None


@bp.get("/banners/active")
@bp.output(schemas.BannerListOut)
@bp.doc(summary="Banners to show now (public)")
def active_banners():
    return {"banners": service.active(storage.all_banners(get_redis()), current_app.config["CLOCK"].now())}


@bp.get("/banners")
@bp.output(schemas.BannerListOut)
@bp.doc(summary="Every banner, past and future (staff)")
@require_role("staff")
def list_banners():
    return {"banners": storage.all_banners(get_redis())}


@bp.post("/banners")
@bp.input(schemas.BannerIn)
@bp.output(schemas.BannerOut, status_code=201)
@bp.doc(summary="Post a banner (staff)", responses={422: "ends_at before starts_at"})
@require_role("staff")
def create_banner(json_data):
    starts, ends = as_text(json_data["starts_at"]), as_text(json_data["ends_at"])
    service.check_window(starts, ends)
    now = current_app.config["CLOCK"].now()
    banner = {"id": secrets.token_hex(6), "message": json_data["message"], "severity": json_data["severity"],
              "link": json_data["link"], "starts_at": starts, "ends_at": ends, "dismissible": json_data["dismissible"],
              "created_at": isoformat(now), "created_by": current_identity().sub}
    storage.save(get_redis(), banner, now.timestamp())
    return banner


@bp.patch("/banners/<banner_id>")
@bp.input(schemas.BannerPatch)
@bp.output(schemas.BannerOut)
@bp.doc(summary="Change a banner (staff)", responses={422: "ends_at before starts_at"})
@require_role("staff")
def update_banner(banner_id, json_data):
    banner = storage.get(get_redis(), banner_id)
    if banner is None:
        raise NotFound("No such banner.")
    for key in ("starts_at", "ends_at"):
        if key in json_data:
            json_data[key] = as_text(json_data[key])
    banner.update(json_data)
    service.check_window(banner.get("starts_at"), banner.get("ends_at"))
    created = service.parse(banner["created_at"]).timestamp()
    storage.save(get_redis(), banner, created)
    return banner


@bp.delete("/banners/<banner_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Remove a banner (staff)")
@require_role("staff")
def delete_banner(banner_id):
    if storage.get(get_redis(), banner_id) is None:
        raise NotFound("No such banner.")
    storage.delete(get_redis(), banner_id)
    return ""
