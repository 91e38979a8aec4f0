"""Maintenance rules: the window decides the status by itself. Pure functions."""
from __future__ import annotations

from datetime import datetime

from polystatus.clock import parse_iso
from polystatus.errors import Conflict, Invalid

STATUSES = ("scheduled", "in_progress", "verifying", "completed")


def parse(value: str) -> datetime:
    return parse_iso(value)


def check_window(scheduled_for: str, scheduled_until: str) -> None:
    if parse(scheduled_until) <= parse(scheduled_for):
        raise Invalid("scheduled_until must be after scheduled_for.", details={"scheduled_until": ["Before start."]})


def due_status(maintenance: dict, now: datetime) -> str | None:
    """What the clock says the maintenance should now be, when that differs from its status."""
    status = maintenance["status"]
    if status == "completed":
        return None
    if now >= parse(maintenance["scheduled_until"]):
        return "completed"
    if status == "scheduled" and now >= parse(maintenance["scheduled_for"]):
        return "in_progress"
    return None


def check_transition(current: str, new: str) -> None:
    if current == "completed":
        raise Conflict("A completed maintenance cannot change.", code="invalid_transition")
    if new not in STATUSES:
        raise Invalid(f"Unknown status {new}.")


AUTO_MESSAGES = {"in_progress": "Scheduled maintenance is in progress.",
                 "completed": "The scheduled maintenance has been completed."}


EDITABLE = ("name", "scheduled_for", "scheduled_until", "components")


def apply_edit(maintenance: dict, changes: dict, *, at: str) -> set[str]:
    """Staff's changes to a maintenance that is not over: its name, window, components (and the
    text of its first announcement). Returns the components taken off it."""
    if maintenance["status"] == "completed":
        raise Conflict("A completed maintenance cannot change.", code="invalid_transition")
    if maintenance["status"] != "scheduled" and "scheduled_for" in changes \
            and changes["scheduled_for"] != maintenance["scheduled_for"]:
        raise Conflict("The maintenance has started; only its end can move.", code="invalid_transition",
                       details={"scheduled_for": ["Already started."]})
    check_window(changes.get("scheduled_for", maintenance["scheduled_for"]),
                 changes.get("scheduled_until", maintenance["scheduled_until"]))
    dropped = set()
    for key in EDITABLE:
        if key not in changes:
            continue
        if key == "components":
            new = {cid: "under_maintenance" for cid in changes["components"]}
            dropped = set(maintenance["components"]) - set(new)
            maintenance["components"] = new
        else:
            maintenance[key] = changes[key]
    if "message" in changes and maintenance.get("incident_updates"):
        maintenance["incident_updates"][-1].update(body=changes["message"], updated_at=at)
    maintenance["updated_at"] = at
    return dropped
