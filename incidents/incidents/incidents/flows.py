"""Incident lifecycle flows: storage + rules + events, with no Flask, so the HTTP views and
the automation worker run the same code. (Dispatch calls this layer `flows`.)"""
from __future__ import annotations

from datetime import datetime

import redis
from polystatus import audit, events
from polystatus.clock import isoformat, parse_iso
from polystatus.errors import Conflict, Invalid, NotFound
from polystatus.redis_store import atomic

from ..components import flows as components_flows
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
    audit.describe(object_id=incident_id)  # the audit entry names what was created (no-op in a worker)
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
        _queue_save(pipe, incident, now.timestamp())
        kind = "incident.created" if is_open else "incident.resolved"
        events.publish(pipe, SERVICE, kind, event_payload(r, config, incident, update), request_id=request_id)

    components_flows.apply_holders(r, changes, now=now, extra=extra, incident_id=incident_id)
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
    created_ts = _created_ts(incident)

    def extra(pipe):
        _queue_save(pipe, incident, created_ts)
        kind = "incident.resolved" if was_open and not still_open else "incident.updated"
        events.publish(pipe, SERVICE, kind, event_payload(r, config, incident, update), request_id=request_id)

    components_flows.apply_holders(r, changes, now=now, extra=extra, incident_id=incident_id)
    return incident


def _queue_save(pipe, incident: dict, created_ts: float) -> None:
    storage.queue_save(pipe, incident, created_ts, is_open=service.is_open(incident))


def _created_ts(incident: dict) -> float:
    return parse_iso(incident["created_at"]).timestamp()


def load(r: redis.Redis, incident_id: str) -> dict:
    """The incident, or NotFound."""
    incident = storage.get(r, incident_id)
    if incident is None:
        raise NotFound("No such incident.")
    return incident


def _save(r: redis.Redis, config: dict, incident: dict, kind: str, data: dict, *, request_id: str | None = None,
          now: datetime, changes: dict | None = None, dropped=()) -> None:
    """Store the incident and publish ``kind`` in one MULTI, with the component holders it changes."""
    def extra(pipe):
        _queue_save(pipe, incident, _created_ts(incident))
        storage.queue_unlink_components(pipe, incident["id"], dropped)
        events.publish(pipe, SERVICE, kind, {**event_payload(r, config, incident, None), **data}, request_id=request_id)

    components_flows.apply_holders(r, changes or {}, now=now, extra=extra, incident_id=incident["id"])


def edit(r: redis.Redis, config: dict, now: datetime, incident_id: str, data: dict, *, by: str,
         request_id: str | None = None) -> dict:
    """Correct an incident (title, impact, components) without adding to its timeline; the change
    is recorded in the incident's edit log. Components of an open incident take their new status
    at once; a component taken off is released."""
    incident = load(r, incident_id)
    if "components" in data:
        _check_components(_names(r), data["components"])
    before = dict(incident.get("components", {}))
    records = service.apply_edit(incident, data, at=isoformat(now), by=by)
    if not records:
        return incident
    dropped = set(before) - set(incident["components"])
    changes = {}
    if service.is_open(incident):
        holder = f"incident:{incident_id}"
        changes = {cid: {holder: status} for cid, status in incident["components"].items()}
        changes.update({cid: {holder: None} for cid in dropped})
    _save(r, config, incident, "incident.edited", {"edits": records}, request_id=request_id, now=now,
          changes=changes, dropped=dropped)
    return incident


def edit_update(r: redis.Redis, config: dict, now: datetime, incident_id: str, update_id: str, body: str, *,
                by: str, request_id: str | None = None) -> dict:
    incident = load(r, incident_id)
    record = service.edit_update_body(incident, update_id, body, at=isoformat(now), by=by)
    if record:
        _save(r, config, incident, "incident.edited", {"edits": [record]}, request_id=request_id, now=now)
    return incident


def delete(r: redis.Redis, config: dict, now: datetime, incident_id: str, *, request_id: str | None = None) -> None:
    """Remove an incident (a test, a duplicate); the components it held are released."""
    incident = load(r, incident_id)
    holder = f"incident:{incident_id}"
    changes = {cid: {holder: None} for cid in incident.get("components", {})}
    payload = event_payload(r, config, incident, None)

    def extra(pipe):
        storage.queue_delete(pipe, incident)
        events.publish(pipe, SERVICE, "incident.deleted", payload, request_id=request_id)

    components_flows.apply_holders(r, changes, now=now, extra=extra, incident_id=incident_id)


def save_postmortem(r: redis.Redis, config: dict, now: datetime, incident_id: str, body: str, *, by: str) -> dict:
    """Statuspage's postmortem draft: kept with the incident, shown to staff only until published."""
    incident = load(r, incident_id)
    incident["postmortem_body_draft"] = body
    incident["postmortem_body_last_updated_at"] = isoformat(now)
    incident["postmortem_last_edited_by"] = by
    with atomic(r, durable=True) as pipe:
        _queue_save(pipe, incident, _created_ts(incident))
    return incident


def publish_postmortem(r: redis.Redis, config: dict, now: datetime, incident_id: str, *,
                       request_id: str | None = None) -> dict:
    """Publish the draft: the incident becomes `postmortem` and its followers are told (an
    incident.updated whose update is the postmortem, as Statuspage's notify_subscribers)."""
    incident = load(r, incident_id)
    service.check_postmortem_publishable(incident)
    stamp = isoformat(now)
    incident.update(status="postmortem", postmortem_body=incident["postmortem_body_draft"],
                    postmortem_published_at=stamp, updated_at=stamp)
    update = {"id": new_id(now.timestamp()), "status": "postmortem", "body": incident["postmortem_body"],
              "created_at": stamp, "updated_at": stamp, "display_at": stamp, "affected_components": [],
              "deliver_notifications": True}
    with atomic(r, durable=True) as pipe:
        _queue_save(pipe, incident, _created_ts(incident))
        events.publish(pipe, SERVICE, "incident.updated", event_payload(r, config, incident, update),
                       request_id=request_id)
    return incident


def revert_postmortem(r: redis.Redis, config: dict, now: datetime, incident_id: str, *, by: str,
                      request_id: str | None = None) -> dict:
    """Unpublish (Statuspage's revert): the incident is resolved again, the draft is kept."""
    incident = load(r, incident_id)
    if incident["status"] != "postmortem":
        raise Conflict("No published postmortem to take back.", code="invalid_transition")
    stamp = isoformat(now)
    incident.setdefault("edits", []).append(service.edit_record(
        at=stamp, by=by, field="postmortem", before=incident.get("postmortem_body"), after=None))
    incident.update(status="resolved", postmortem_body=None, postmortem_published_at=None, updated_at=stamp)
    _save(r, config, incident, "incident.edited", {"edits": incident["edits"][-1:]}, request_id=request_id, now=now)
    return incident


def take_over(r: redis.Redis, incident_id: str) -> dict:
    incident = storage.get(r, incident_id)
    if incident is None:
        raise NotFound("No such incident.")
    incident["taken_over"] = True
    storage.replace(r, incident)
    return incident
