"""Scheduled maintenances: staff write, public read; the worker starts and completes them."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus.auth import require_role
from polystatus.clock import isoformat
from polystatus.errors import NotFound
from polystatus.redis_store import get_redis

from ..components import storage as components_storage
from ..statuspage import service as statuspage
from . import flows, schemas, storage

bp = APIBlueprint("maintenances", __name__, tag="Maintenances")


def render(maintenance: dict) -> dict:
    names = {c["id"]: c for c in components_storage.all_components(get_redis())}
    config = current_app.config
    return statuspage.incident(maintenance, names, config["PAGE_ID"], config["PUBLIC_URL"])


@bp.get("/maintenances")
@bp.output(schemas.MaintenanceOut(many=True))
@bp.doc(summary="Every maintenance, soonest first")
def list_maintenances():
    return [render(m) for m in storage.all_maintenances(get_redis())]


@bp.post("/maintenances")
@bp.input(schemas.MaintenanceIn)
@bp.output(schemas.MaintenanceOut, status_code=201)
@bp.doc(summary="Schedule a maintenance (staff)", responses={422: "Bad window or unknown components"})
@require_role("staff")
def create_maintenance(json_data):
    data = {**json_data, "scheduled_for": isoformat(json_data["scheduled_for"]),
            "scheduled_until": isoformat(json_data["scheduled_until"])}
    return render(flows.create(get_redis(), current_app.config, current_app.config["CLOCK"].now(), data))


@bp.get("/maintenances/<maintenance_id>")
@bp.output(schemas.MaintenanceOut)
@bp.doc(summary="One maintenance")
def get_maintenance(maintenance_id):
    maintenance = storage.get(get_redis(), maintenance_id)
    if maintenance is None:
        raise NotFound("No such maintenance.")
    return render(maintenance)


@bp.patch("/maintenances/<maintenance_id>")
@bp.input(schemas.MaintenancePatch)
@bp.output(schemas.MaintenanceOut)
@bp.doc(summary="Change a maintenance that is not over: name, message, window, components (staff)",
        responses={409: "Completed, or start of a started one", 422: "Bad window or unknown components"})
@require_role("staff")
def edit_maintenance(maintenance_id, json_data):
    data = {key: isoformat(value) if key.startswith("scheduled_") else value for key, value in json_data.items()}
    return render(flows.edit(get_redis(), current_app.config, current_app.config["CLOCK"].now(), maintenance_id, data))


@bp.post("/maintenances/<maintenance_id>/updates")
@bp.input(schemas.MaintenanceUpdateIn)
@bp.output(schemas.MaintenanceOut, status_code=201)
@bp.doc(summary="Change a maintenance's status by hand (staff)", responses={409: "Already completed"})
@require_role("staff")
def update_maintenance(maintenance_id, json_data):
    return render(flows.set_status(get_redis(), current_app.config, current_app.config["CLOCK"].now(),
                                   maintenance_id, json_data["status"], json_data["message"]))


@bp.delete("/maintenances/<maintenance_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Cancel a maintenance that has not started (staff)")
@require_role("staff")
def delete_maintenance(maintenance_id):
    maintenance = storage.get(get_redis(), maintenance_id)
    if maintenance is None:
        raise NotFound("No such maintenance.")
    if maintenance["status"] != "scheduled":
        flows.set_status(get_redis(), current_app.config, current_app.config["CLOCK"].now(), maintenance_id,
                         "completed", "Maintenance cancelled.")
    storage.delete(get_redis(), maintenance_id)
    return ""
