"""Incident rules: lifecycle transitions, impact, the timeline. Pure functions."""
from __future__ import annotations

from polystatus.errors import Conflict, NotFound

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


def edit_record(*, at: str, by: str, field: str, before, after, update_id: str | None = None) -> dict:
    """One line of an incident's edit log: who changed which field, when, from what to what."""
    return {"at": at, "by": by, "field": field, "before": before, "after": after,
            **({"update_id": update_id} if update_id else {})}


def apply_edit(incident: dict, changes: dict, *, at: str, by: str) -> list[dict]:
    """Apply staff's corrections (title, impact, components) to ``incident`` in place and
    return the edit records of what really changed; a field sent with its current value is
    not an edit. ``impact: None`` drops the override and derives the impact again."""
    records = []
    if "name" in changes and changes["name"] != incident["name"]:
        records.append(edit_record(at=at, by=by, field="name", before=incident["name"], after=changes["name"]))
        incident["name"] = changes["name"]
    if "components" in changes and changes["components"] != incident.get("components", {}):
        records.append(edit_record(at=at, by=by, field="components", before=incident.get("components", {}),
                                   after=changes["components"]))
        incident["components"] = dict(changes["components"])
    if "impact" in changes:
        override = changes["impact"]
        impact = override or derive_impact(incident.get("components", {}))
        if impact != incident["impact"] or bool(override) != bool(incident.get("impact_override")):
            records.append(edit_record(at=at, by=by, field="impact", before=incident["impact"], after=impact))
        incident["impact"], incident["impact_override"] = impact, bool(override)
    elif records and not incident.get("impact_override"):
        incident["impact"] = derive_impact(incident.get("components", {}))
    if records:
        incident["updated_at"] = at
        incident.setdefault("edits", []).extend(records)
    return records


def edit_update_body(incident: dict, update_id: str, body: str, *, at: str, by: str) -> dict | None:
    """Correct the text of one timeline entry (a typo); the record keeps the old text.
    Returns the edit record, or None when the text is unchanged; raises NotFound for an unknown update."""
    for update in incident.get("incident_updates", []):
        if update["id"] == update_id:
            if update["body"] == body:
                return None
            record = edit_record(at=at, by=by, field="update_body", before=update["body"], after=body,
                                 update_id=update_id)
            update["body"], update["updated_at"] = body, at
            incident["updated_at"] = at
            incident.setdefault("edits", []).append(record)
            return record
    raise NotFound("No such update in this incident.")


def check_postmortem_publishable(incident: dict) -> None:
    if incident["status"] not in ("resolved", "postmortem"):
        raise Conflict("A postmortem is published after resolution; resolve the incident first.",
                       code="invalid_transition", details={"from": incident["status"], "to": "postmortem"})
    if not (incident.get("postmortem_body_draft") or "").strip():
        raise Conflict("Write the postmortem before publishing it.", code="empty_postmortem")


def impact_rank(impact: str) -> int:
    return IMPACTS.index(impact) if impact in IMPACTS else 0


__all__ = ["SEVERITY", "OPEN", "STATUSES", "IMPACTS", "derive_impact", "check_transition", "is_open", "affected"]


def matches(incident: dict, query: str) -> bool:
    """True when every word of ``query`` is in the incident's name or one of its updates."""
    bodies = (u.get("body", "") for u in incident.get("incident_updates", []))
    text = " ".join([incident.get("name", ""), *bodies]).casefold()
    return all(word in text for word in query.casefold().split())
