"""The consumer of csp-status's check.status_changed, and the auto-incident tick."""
from __future__ import annotations

from datetime import datetime

import redis
from polystatus.clock import isoformat
from polystatus.events import Event

from ..components import flows as components_flows
from ..components import storage as components_storage
from ..incidents import flows as incident_flows
from ..incidents import service as incidents_service
from ..incidents import storage as incidents_storage
from . import service, storage


def handle_check_event(r: redis.Redis, event: Event, now: datetime) -> None:
    """Idempotent: it sets holders to the state the event carries."""
    if event.type != "check.status_changed":
        return
    change, status = service.holder_change(event.data.get("state", "unknown"))
    if not change:
        return
    holder = f"check:{event.data['check_id']}"
    component_ids = [c for c in event.data.get("component_ids", []) if components_storage.get(r, c)]
    if not component_ids:
        return
    components_flows.apply_holders(r, {cid: {holder: status} for cid in component_ids}, now=now)
    for cid in component_ids:
        if service.is_down(components_storage.holders(r, cid)):
            storage.mark_down(r, cid, now.timestamp())
        else:
            storage.mark_up(r, cid)


def tick(r: redis.Redis, config: dict, now: datetime) -> dict:
    """Open an incident for components down long enough; resolve ours on recovery."""
    opened, resolved = [], []
    for component in components_storage.all_components(r):
        cid = component["id"]
        since = storage.down_since(r, cid)
        existing = storage.auto_incident(r, cid)
        if since and not existing and service.should_open(since, now.timestamp(),
                                                          config["AUTO_INCIDENT_AFTER_MINUTES"]):
            if not storage.claim_auto_incident(r, cid):
                continue  # another worker replica is on it
            incident = incident_flows.create(r, config, now, {
                "name": f"{component['name']} is unavailable",
                "status": "investigating",
                "message": f"Automated checks report {component['name']} down since "
                           f"{isoformat(datetime.fromtimestamp(since, now.tzinfo))}. We are investigating.",
                "components": {cid: "major_outage"},
            }, automated=True)
            storage.set_auto_incident(r, cid, incident["id"])
            opened.append(incident["id"])
        elif existing and not since:
            incident = incidents_storage.get(r, existing)
            storage.clear_auto_incident(r, cid)
            if incident and incidents_service.is_open(incident) \
                    and not incident.get("taken_over"):
                incident_flows.add_update(r, config, now, existing, {
                    "status": "resolved", "message": f"Automated checks report {component['name']} healthy again.",
                }, by_automation=True)
                resolved.append(existing)
    return {"opened": opened, "resolved": resolved}
