"""Component use cases (staff's writes): no Flask, the caller passes its Redis and clock."""
from __future__ import annotations

from datetime import datetime

import redis
from polystatus import events
from polystatus.clock import isoformat
from polystatus.errors import Conflict, Invalid
from polystatus.redis_store import atomic

from ..ids import new_id
from ..reports import storage as reports_storage
from . import service, storage

SERVICE = "incidents"


# Reports check each report against the problem types its component offers in one Redis
# script, which reads only the reports' keys: they keep a copy of those types
# (reports.storage.queue_offer). Every component write below queues the copy in the same
# transaction as the component, and a delete takes it away with it, so a report is checked
# against the types of the last committed component write, never a stale copy.
def queue_save(pipe, component: dict) -> None:
    """Queue the component and the reports' copy of its problem types on ``pipe``."""
    storage.queue_save(pipe, component)
    reports_storage.queue_offer(pipe, component["id"], component.get("problem_types") or [])


def save(r: redis.Redis, component: dict) -> None:
    """Save a component (and the reports' copy of its problem types), durably."""
    with atomic(r, durable=True) as pipe:
        queue_save(pipe, component)


def offer_to_reports(r: redis.Redis, component_id: str) -> list[str] | None:
    """Write the reports' copy of the problem types of a component stored without one, and
    return them (None: no such component).

    Components stored before the copies existed have none. They are copied here, when a report
    for one finds no copy, rather than by a pass over every component at start: a missing copy
    is mended wherever it comes from (data from before, a restored backup, a component created
    by a replica of the previous release during a rolling upgrade), no start-up pass runs on
    every worker of every replica (nor races another replica's), and the cost falls on one
    report per component, once. (Problem types *changed* by a previous-release replica during
    the upgrade leave the copy as it was until the component is written again.)
    The component is read under WATCH, so a copy is never written for a component deleted or
    changed meanwhile."""
    def write(pipe, component: dict | None) -> list[str] | None:
        if component is None:
            return None
        offered = component.get("problem_types") or []
        reports_storage.queue_offer(pipe, component_id, offered)
        return offered

    return storage.change_component(r, component_id, write)


def apply_holders(r: redis.Redis, changes: dict[str, dict[str, str | None]], *, now: datetime,
                  extra=None, incident_id: str | None = None) -> list[dict]:
    """Set or clear holders on components and store the statuses that follow, atomically.

    ``changes`` maps component id -> {holder: status or None (to clear)}; unknown components
    are skipped. ``extra(pipe)`` queues more writes (the incident itself, its event) in the same
    MULTI, so the incident, the component statuses it causes and their events land together
    or not at all. Returns the component.status_changed payloads."""
    at = isoformat(now)

    def write(pipe, current: dict) -> list[dict]:
        published = []
        for component_id, (component, holders) in current.items():
            storage.queue_holders(pipe, component_id, changes[component_id])
            payload = service.status_change(component, service.holders_after(holders, changes[component_id]),
                                            at=at, incident_id=incident_id)
            if payload:
                component.update(status=payload["new_status"], updated_at=at)
                queue_save(pipe, component)
                storage.record(r, component_id, payload["new_status"], now.timestamp(), pipe=pipe)
                events.publish(pipe, SERVICE, "component.status_changed", payload)
                published.append(payload)
        if extra:
            extra(pipe)
        return published

    return storage.change_holders(r, list(changes), write)


def check_group(r: redis.Redis, group_id: str | None) -> None:
    if group_id and storage.get_group(r, group_id) is None:
        raise Invalid("No such component group.", details={"group_id": ["Unknown group."]})


def set_base_status(r: redis.Redis, component_id: str, status: str, *, now: datetime) -> None:
    """Staff's own status for the component (the ``base`` holder); incidents may hold worse."""
    apply_holders(r, {component_id: {"base": status}}, now=now)


def create(r: redis.Redis, data: dict, *, now: datetime) -> dict:
    check_group(r, data.get("group_id"))
    component_id = data.get("id") or new_id(now.timestamp())
    component = {
        "id": component_id, "name": data["name"], "description": data["description"],
        "group_id": data.get("group_id"), "position": data["position"], "status": "operational",
        "only_show_if_degraded": data["only_show_if_degraded"],
        "problem_types": data.get("problem_types") or list(service.DEFAULT_PROBLEM_TYPES),
        "created_at": isoformat(now), "updated_at": isoformat(now),
    }
    if not storage.claim_id(r, component_id):
        raise Conflict("A component with this id exists.")
    with atomic(r, durable=True) as pipe:
        queue_save(pipe, component)
        storage.record(r, component_id, "operational", now.timestamp(), pipe=pipe)
    if data.get("status") and data["status"] != "operational":
        set_base_status(r, component_id, data["status"], now=now)
    return storage.COMPONENTS.load(r, component_id)


def update(r: redis.Redis, component: dict, changes: dict, *, now: datetime) -> dict:
    if "group_id" in changes:
        check_group(r, changes["group_id"])
    changes = dict(changes)
    status = changes.pop("status", None)
    if changes:
        component.update(changes, updated_at=isoformat(now))
        save(r, component)
    if status:
        set_base_status(r, component["id"], status, now=now)
    return storage.COMPONENTS.load(r, component["id"])


def delete(r: redis.Redis, component_id: str) -> None:
    storage.COMPONENTS.load(r, component_id)
    if any(holder.startswith("incident:") for holder in storage.holder_names(r, component_id)):
        raise Conflict("An open incident affects this component; resolve it first.")
    with atomic(r, durable=True) as pipe:
        storage.queue_delete(pipe, component_id)
        reports_storage.queue_offer(pipe, component_id, None)


def delete_group(r: redis.Redis, group_id: str) -> None:
    """Remove a group; its components stay, ungrouped."""
    storage.GROUPS.load(r, group_id)
    for component in storage.all_components(r):
        if component.get("group_id") == group_id:
            component["group_id"] = None
            save(r, component)
    storage.delete_group(r, group_id)
