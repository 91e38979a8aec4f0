"""Components and component groups: staff write, public read."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus.auth import require_role
from polystatus.clock import isoformat
from polystatus.errors import Conflict, NotFound
from polystatus.redis_store import get_redis

from ..ids import new_id
from ..incidents import storage as incidents_storage
from . import flows, schemas, service, storage

bp = APIBlueprint("components", __name__, tag="Components")


def clock():
    return current_app.config["CLOCK"]


def load(component_id: str) -> dict:
    return storage.COMPONENTS.load(get_redis(), component_id)


@bp.get("/components")
@bp.output(schemas.ComponentListOut)
@bp.doc(summary="Every component and group")
def list_components():
    r = get_redis()
    return {"components": storage.all_components(r), "groups": storage.all_groups(r)}


@bp.post("/components")
@bp.input(schemas.ComponentIn)
@bp.output(schemas.ComponentOut, status_code=201)
@bp.doc(summary="Create a component (staff)", responses={409: "Id taken", 422: "Unknown group"})
@require_role("staff")
def create_component(json_data):
    return flows.create(get_redis(), json_data, now=clock().now())


@bp.get("/components/<component_id>")
@bp.output(schemas.ComponentOut)
@bp.doc(summary="One component")
def get_component(component_id):
    return load(component_id)


@bp.patch("/components/<component_id>")
@bp.input(schemas.ComponentPatch)
@bp.output(schemas.ComponentOut)
@bp.doc(summary="Change a component; `status` sets staff's own status for it (staff)",
        responses={422: "Unknown group"})
@require_role("staff")
def update_component(component_id, json_data):
    return flows.update(get_redis(), load(component_id), json_data, now=clock().now())


@bp.delete("/components/<component_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a component (staff)", responses={409: "Held by an open incident"})
@require_role("staff")
def delete_component(component_id):
    flows.delete(get_redis(), component_id)
    return ""


@bp.get("/components/<component_id>/uptime")
@bp.input(schemas.UptimeQuery, location="query")
@bp.output(schemas.UptimeOut)
@bp.doc(summary="Daily uptime and worst status, for the 90-day bars")
def uptime(component_id, query_data):
    load(component_id)
    r = get_redis()
    days = query_data["days"]
    now = clock().now()
    incidents = incidents_storage.touching_component(r, component_id, since_ts=now.timestamp() - days * 86400)
    per_day = service.uptime_by_day(storage.history(r, component_id), days=days, now=now, incidents=incidents)
    overall = round(sum(d["uptime_pct"] for d in per_day) / len(per_day), 3) if per_day else 100.0
    return {"component_id": component_id, "uptime_pct": overall, "days": per_day}


@bp.get("/component-groups")
@bp.output(schemas.GroupOut(many=True))
@bp.doc(summary="Component groups")
def list_groups():
    return storage.all_groups(get_redis())


@bp.post("/component-groups")
@bp.input(schemas.GroupIn)
@bp.output(schemas.GroupOut, status_code=201)
@bp.doc(summary="Create a component group (staff)", responses={409: "Id taken"})
@require_role("staff")
def create_group(json_data):
    moment = isoformat(clock().now())
    group = {"id": json_data.get("id") or new_id(), "name": json_data["name"],
             "description": json_data["description"], "position": json_data["position"],
             "created_at": moment, "updated_at": moment}
    if storage.get_group(get_redis(), group["id"]):
        raise Conflict("A group with this id exists.")
    storage.save_group(get_redis(), group)
    return group


@bp.patch("/component-groups/<group_id>")
@bp.input(schemas.GroupPatch)
@bp.output(schemas.GroupOut)
@bp.doc(summary="Change a component group (staff)")
@require_role("staff")
def update_group(group_id, json_data):
    group = storage.get_group(get_redis(), group_id)
    if group is None:
        raise NotFound("No such component group.")
    group.update(json_data, updated_at=isoformat(clock().now()))
    storage.save_group(get_redis(), group)
    return group


@bp.delete("/component-groups/<group_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a component group; its components become ungrouped (staff)")
@require_role("staff")
def delete_group(group_id):
    flows.delete_group(get_redis(), group_id)
    return ""
