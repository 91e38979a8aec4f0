"""Incident rules: lifecycle transitions, impact, the timeline. Pure functions."""
from __future__ import annotations

from polystatus.errors import Conflict

from ..components.service import SEVERITY, worst

OPEN = ("investigating", "identified", "monitoring")
STATUSES = OPEN + ("resolved", "postmortem")
IMPACTS = ("none", "minor", "major", "critical")
IMPACT_OF_STATUS = {"operational": "none", "under_maintenance": "none", "degraded_performance": "minor",
                    "partial_outage": "major", "major_outage": "critical"}


def derive_impact(component_statuses: dict[str, str]) -> str:
    return IMPACT_OF_STATUS[worst(component_statuses.values())] if component_statuses else "none"


def check_transition(current: str, new: str) -> None:
    """Open states move freely among themselves and to resolved; after that, only a postmortem."""
    if current in OPEN and new in STATUSES and new != "postmortem":
        return
    if current in ("resolved", "postmortem") and new == "postmortem":
        return
    if current in OPEN and new == "postmortem":
        raise Conflict("A postmortem comes after resolution; resolve the incident first.",
                       code="invalid_transition", details={"from": current, "to": new})
    raise Conflict(f"A {current} incident cannot become {new}; open a new incident instead.",
                   code="invalid_transition", details={"from": current, "to": new})


def is_open(incident: dict) -> bool:
    return incident["status"] in OPEN


def affected(old: dict[str, str], new: dict[str, str], names: dict[str, str]) -> list[dict]:
    """Statuspage's affected_components of one update."""
    return [{"code": cid, "name": names.get(cid, cid), "old_status": old.get(cid, "operational"),
             "new_status": status} for cid, status in new.items()]


def impact_rank(impact: str) -> int:
    return IMPACTS.index(impact) if impact in IMPACTS else 0


__all__ = ["SEVERITY", "OPEN", "STATUSES", "IMPACTS", "derive_impact", "check_transition", "is_open", "affected"]
