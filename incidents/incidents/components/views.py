"""Components and component groups: staff write, public read."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus.auth import require_role
from polystatus.clock import isoformat
from polystatus.errors import Conflict, Invalid, NotFound
from polystatus.redis_store import get_redis

from ..ids import new_id
from ..incidents import storage as incidents_storage
from . import schemas, service, storage

bp = APIBlueprint("components", __name__, tag="Components")


def clock():
    return current_app.config["CLOCK"]


def load(component_id: str) -> dict:
    component = storage.get(get_redis(), component_id)
    if component is None:
        raise NotFound("No such component.")
    return component


def check_group(group_id: str | None) -> None:
    if group_id and storage.get_group(get_redis(), group_id) is None:
        raise Invalid("No such component group.", details={"group_id": ["Unknown group."]})


def set_base_status(component_id: str, status: str) -> None:
    moment = clock().now()
    storage.apply_holders(get_redis(), {component_id: {"base": status}}, now_ts=moment.timestamp(),
                          now_iso=isoformat(moment))


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
    r = get_redis()
    check_group(json_data.get("group_id"))
    moment = clock().now()
    component_id = json_data.get("id") or new_id(moment.timestamp())
    component = {
        "id": component_id, "name": json_data["name"], "description": json_data["description"],
        "group_id": json_data.get("group_id"), "position": json_data["position"], "status": "operational",
        "only_show_if_degraded": json_data["only_show_if_degraded"],
        "problem_types": json_data.get("problem_types") or list(service.DEFAULT_PROBLEM_TYPES),
        "created_at": isoformat(moment), "updated_at": isoformat(moment),
    }
    if not r.set(f"component:{component_id}", "{}", nx=True):
        raise Conflict("A component with this id exists.")
    storage.save(r, component)
    storage.record(r, component_id, "operational", moment.timestamp())
    if json_data.get("status") and json_data["status"] != "operational":
        set_base_status(component_id, json_data["status"])
    return load(component_id)


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
    component = load(component_id)
    if "group_id" in json_data:
        check_group(json_data["group_id"])
    status = json_data.pop("status", None)
    if json_data:
        component.update(json_data, updated_at=isoformat(clock().now()))
        storage.save(get_redis(), component)
    if status:
        set_base_status(component_id, status)
    return load(component_id)


@bp.delete("/components/<component_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a component (staff)", responses={409: "Held by an open incident"})
@require_role("staff")
def delete_component(component_id):
    load(component_id)
    holders = get_redis().hkeys(f"holders:{component_id}")
    if any(h.startswith("incident:") for h in holders):
        raise Conflict("An open incident affects this component; resolve it first.")
    storage.delete(get_redis(), component_id)
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
    r = get_redis()
    if storage.get_group(r, group_id) is None:
        raise NotFound("No such component group.")
    for component in storage.all_components(r):
        if component.get("group_id") == group_id:
            component["group_id"] = None
            storage.save(r, component)
    storage.delete_group(r, group_id)
    return ""
