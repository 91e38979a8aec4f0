"""Incident lifecycle flows: storage + rules + events, with no Flask, so the HTTP views and
the automation worker run the same code. (Dispatch calls this layer `flows`.)"""
from __future__ import annotations

import json
from datetime import datetime

import redis
from polystatus import events
from polystatus.clock import isoformat
from polystatus.errors import Invalid, NotFound

from ..components import storage as components_storage
from ..ids import new_id
from ..statuspage import service as statuspage
from . import service, storage

SERVICE = "incidents"


def _names(r: redis.Redis) -> dict[str, dict]:
    return {c["id"]: c for c in components_storage.all_components(r)}


def _check_components(names: dict, requested: dict[str, str]) -> None:
    unknown = sorted(set(requested) - set(names))
    if unknown:
        raise Invalid("Unknown components.", details={"components": unknown})


def event_payload(r: redis.Redis, config: dict, incident: dict, update: dict | None) -> dict:
    doc = statuspage.incident(incident, _names(r), config["PAGE_ID"], config["PUBLIC_URL"])
    return {"incident": doc, "update": update, "automated": incident.get("automated", False)}


def create(r: redis.Redis, config: dict, now: datetime, data: dict, *, automated: bool = False,
           request_id: str | None = None) -> dict:
    names = _names(r)
    requested = data.get("components") or {}
    _check_components(names, requested)
    stamp = isoformat(now)
    incident_id = new_id(now.timestamp())
    update = {"id": new_id(now.timestamp()), "status": data["status"], "body": data["message"],
              "created_at": stamp, "updated_at": stamp, "display_at": stamp,
              "affected_components": service.affected({cid: names[cid]["status"] for cid in requested},
                                                      requested, {k: v["name"] for k, v in names.items()}),
              "deliver_notifications": True}
    incident = {
        "id": incident_id, "name": data["name"], "status": data["status"],
        "impact": data.get("impact") or service.derive_impact(requested), "impact_override": bool(data.get("impact")),
        "created_at": stamp, "updated_at": stamp, "started_at": stamp,
        "monitoring_at": stamp if data["status"] == "monitoring" else None,
        "resolved_at": stamp if data["status"] == "resolved" else None,
        "components": requested, "incident_updates": [update], "automated": automated, "taken_over": False,
    }
    holder = f"incident:{incident_id}"
    is_open = service.is_open(incident)
    changes = {cid: {holder: status if is_open else None} for cid, status in requested.items()}

    def extra(pipe):
        storage.queue_save(pipe, incident, now.timestamp())
        kind = "incident.created" if is_open else "incident.resolved"
        events.publish(pipe, SERVICE, kind, event_payload(r, config, incident, update), request_id=request_id)

    components_storage.apply_holders(r, changes, now_ts=now.timestamp(), now_iso=stamp, extra=extra,
                                     incident_id=incident_id)
    return incident


def add_update(r: redis.Redis, config: dict, now: datetime, incident_id: str, data: dict, *,
               by_automation: bool = False, request_id: str | None = None) -> dict:
    incident = storage.get(r, incident_id)
    if incident is None:
        raise NotFound("No such incident.")
    service.check_transition(incident["status"], data["status"])
    names = _names(r)
    requested = data.get("components") or {}
    _check_components(names, requested)
    stamp = isoformat(now)
    was_open = service.is_open(incident)
    old = {cid: names[cid]["status"] for cid in requested}
    update = {"id": new_id(now.timestamp()), "status": data["status"], "body": data["message"],
              "created_at": stamp, "updated_at": stamp, "display_at": stamp,
              "affected_components": service.affected(old, requested, {k: v["name"] for k, v in names.items()}),
              "deliver_notifications": True}
    incident["incident_updates"].insert(0, update)
    incident["components"] = {**incident.get("components", {}), **requested}
    incident["status"] = data["status"]
    incident["updated_at"] = stamp
    if data.get("impact"):
        incident["impact"], incident["impact_override"] = data["impact"], True
    elif not incident.get("impact_override") and requested:
        incident["impact"] = service.derive_impact(incident["components"])
    if data["status"] == "monitoring" and not incident.get("monitoring_at"):
        incident["monitoring_at"] = stamp
    if data["status"] == "resolved":
        incident["resolved_at"] = stamp
    if data["status"] == "postmortem":
        incident["postmortem_body"] = data["message"]
    if not by_automation and incident.get("automated"):
        incident["taken_over"] = True  # a human spoke: automation leaves it alone from now on
    holder = f"incident:{incident_id}"
    still_open = service.is_open(incident)
    if still_open:
        changes = {cid: {holder: status} for cid, status in incident["components"].items()}
    else:
        changes = {cid: {holder: None} for cid in incident["components"]}
    created_ts = datetime.fromisoformat(incident["created_at"].replace("Z", "+00:00")).timestamp()

    def extra(pipe):
        storage.queue_save(pipe, incident, created_ts)
        kind = "incident.resolved" if was_open and not still_open else "incident.updated"
        events.publish(pipe, SERVICE, kind, event_payload(r, config, incident, update), request_id=request_id)

    components_storage.apply_holders(r, changes, now_ts=now.timestamp(), now_iso=stamp, extra=extra,
                                     incident_id=incident_id)
    return incident


def take_over(r: redis.Redis, incident_id: str) -> dict:
    incident = storage.get(r, incident_id)
    if incident is None:
        raise NotFound("No such incident.")
    incident["taken_over"] = True
    r.set(f"incident:{incident_id}", json.dumps(incident))
    return incident
