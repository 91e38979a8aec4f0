"""Maintenance flows (no Flask): create, update, and the clock-driven start/complete."""
from __future__ import annotations

from datetime import datetime

import redis
from polystatus import events
from polystatus.clock import isoformat
from polystatus.errors import Invalid, NotFound
from polystatus.redis_store import atomic

from ..components import flows as components_flows
from ..components import storage as components_storage
from ..ids import new_id
from ..statuspage import service as statuspage
from . import service, storage

SERVICE = "incidents"
ACTIVE = ("in_progress", "verifying")


def payload(r: redis.Redis, config: dict, maintenance: dict) -> dict:
    names = {c["id"]: c for c in components_storage.all_components(r)}
    return {"maintenance": statuspage.incident(maintenance, names, config["PAGE_ID"], config["PUBLIC_URL"])}


def create(r: redis.Redis, config: dict, now: datetime, data: dict) -> dict:
    service.check_window(data["scheduled_for"], data["scheduled_until"])
    known = {c["id"] for c in components_storage.all_components(r)}
    unknown = sorted(set(data["components"]) - known)
    if unknown:
        raise Invalid("Unknown components.", details={"components": unknown})
    stamp = isoformat(now)
    maintenance = {
        "id": new_id(now.timestamp()), "name": data["name"], "status": "scheduled", "impact": "maintenance",
        "created_at": stamp, "updated_at": stamp, "started_at": None, "resolved_at": None, "monitoring_at": None,
        "scheduled_for": data["scheduled_for"], "scheduled_until": data["scheduled_until"],
        "components": {cid: "under_maintenance" for cid in data["components"]},
        "incident_updates": [{"id": new_id(), "status": "scheduled", "body": data["message"], "created_at": stamp,
                              "updated_at": stamp, "display_at": stamp, "affected_components": [],
                              "deliver_notifications": True}],
    }
    with atomic(r, durable=True) as pipe:
        storage.queue_save(pipe, maintenance, service.parse(data["scheduled_for"]).timestamp())
        events.publish(pipe, SERVICE, "maintenance.scheduled", payload(r, config, maintenance))
    return advance(r, config, now, maintenance["id"]) or maintenance


def set_status(r: redis.Redis, config: dict, now: datetime, maintenance_id: str, status: str, message: str) -> dict:
    maintenance = storage.get(r, maintenance_id)
    if maintenance is None:
        raise NotFound("No such maintenance.")
    service.check_transition(maintenance["status"], status)
    stamp = isoformat(now)
    maintenance["status"] = status
    maintenance["updated_at"] = stamp
    if status in ACTIVE and not maintenance.get("started_at"):
        maintenance["started_at"] = stamp
    if status == "completed":
        maintenance["resolved_at"] = stamp
    maintenance["incident_updates"].insert(0, {
        "id": new_id(), "status": status, "body": message, "created_at": stamp, "updated_at": stamp,
        "display_at": stamp, "affected_components": [], "deliver_notifications": True})
    holder = f"maintenance:{maintenance_id}"
    active = status in ACTIVE
    changes = {cid: {holder: "under_maintenance" if active else None} for cid in maintenance["components"]}
    kind = {"in_progress": "maintenance.started", "completed": "maintenance.completed"}.get(status, "maintenance.updated")

    def extra(pipe):
        storage.queue_save(pipe, maintenance, service.parse(maintenance["scheduled_for"]).timestamp())
        events.publish(pipe, SERVICE, kind, payload(r, config, maintenance))

    components_flows.apply_holders(r, changes, now=now, extra=extra)
    return maintenance


def edit(r: redis.Redis, config: dict, now: datetime, maintenance_id: str, data: dict) -> dict:
    """Change a maintenance's name, window, components or first message; the clock then decides
    its status again (moving the end into the past completes it)."""
    maintenance = storage.get(r, maintenance_id)
    if maintenance is None:
        raise NotFound("No such maintenance.")
    if "components" in data:
        known = {c["id"] for c in components_storage.all_components(r)}
        unknown = sorted(set(data["components"]) - known)
        if unknown:
            raise Invalid("Unknown components.", details={"components": unknown})
    stamp = isoformat(now)
    dropped = service.apply_edit(maintenance, data, at=stamp)
    holder = f"maintenance:{maintenance_id}"
    active = maintenance["status"] in ACTIVE
    changes = {cid: {holder: "under_maintenance"} for cid in maintenance["components"]} if active else {}
    changes.update({cid: {holder: None} for cid in dropped})

    def extra(pipe):
        storage.queue_save(pipe, maintenance, service.parse(maintenance["scheduled_for"]).timestamp())
        events.publish(pipe, SERVICE, "maintenance.updated", payload(r, config, maintenance))

    components_flows.apply_holders(r, changes, now=now, extra=extra)
    return advance(r, config, now, maintenance_id) or maintenance


def advance(r: redis.Redis, config: dict, now: datetime, maintenance_id: str) -> dict | None:
    maintenance = storage.get(r, maintenance_id)
    due = service.due_status(maintenance, now) if maintenance else None
    if due is None:
        return None
    if due == "completed" and maintenance["status"] == "scheduled":
        # A window that passed entirely (the worker was down): start, then complete, so the
        # record shows both and the components end where they should.
        set_status(r, config, now, maintenance_id, "in_progress", service.AUTO_MESSAGES["in_progress"])
    return set_status(r, config, now, maintenance_id, due, service.AUTO_MESSAGES[due])


def tick(r: redis.Redis, config: dict, now: datetime) -> int:
    """Start and complete maintenances on time (the worker calls this every few seconds)."""
    changed = 0
    for maintenance in storage.all_maintenances(r):
        if maintenance["status"] != "completed" and advance(r, config, now, maintenance["id"]):
            changed += 1
    return changed
