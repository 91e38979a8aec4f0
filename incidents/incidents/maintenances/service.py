"""Maintenance rules: the window decides the status by itself. Pure functions."""
from __future__ import annotations

from datetime import datetime

from polystatus.errors import Conflict, Invalid

STATUSES = ("scheduled", "in_progress", "verifying", "completed")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


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
