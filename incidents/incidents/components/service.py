"""Component status rules. Pure functions.

A component's status is decided by its *holders*: staff's own setting (``base``), each linked
check (``check:<id>``), each open incident (``incident:<id>``) and each running maintenance
(``maintenance:<id>``). The effective status is the most severe holder. Resolving an incident
removes its holder, so the component falls back to whatever still holds it: that is how
"restore on resolve, unless another open incident still holds it" works without remembering
what the status was before.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from polystatus.clock import parse_iso

STATUSES = ["operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"]
SEVERITY = {status: rank for rank, status in enumerate(STATUSES)}
DEFAULT_PROBLEM_TYPES = ["website", "login", "app", "payments", "other"]


def effective_status(holders: dict[str, str]) -> str:
    if not holders:
        return "operational"
    return max(holders.values(), key=lambda status: SEVERITY.get(status, 0))


def holders_after(holders: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    """The holders once ``changes`` are applied: a status sets its holder, None clears it."""
    after = dict(holders)
    for holder, status in changes.items():
        if status is None:
            after.pop(holder, None)
        else:
            after[holder] = status
    return after


def status_change(component: dict, holders: dict[str, str], *, at: str, incident_id: str | None) -> dict | None:
    """The ``component.status_changed`` payload when ``holders`` move the component's status
    away from the one it has, else None."""
    new_status = effective_status(holders)
    if new_status == component["status"]:
        return None
    return {"component_id": component["id"], "name": component["name"], "old_status": component["status"],
            "new_status": new_status, "incident_id": incident_id, "at": at}


def worst(statuses) -> str:
    return max(statuses, key=lambda status: SEVERITY.get(status, 0), default="operational")


def uptime_by_day(changes: list[tuple[float, str]], *, days: int, now: datetime,
                  incidents: list[dict] | None = None) -> list[dict]:
    """Per-day uptime from the record of status changes (time, status), oldest first.

    Uptime counts partial and major outages as down time, weighted as Statuspage does
    (major counts fully, partial counts 30 %); degraded performance and maintenance count as up.
    The computation uses the change record, so it does not depend on how often checks run.
    """
    weights = {"major_outage": 1.0, "partial_outage": 0.3}
    today = now.astimezone(UTC).date()
    first_day = today - timedelta(days=days - 1)
    result = []
    status_before = "operational"
    for ts, status in changes:
        if datetime.fromtimestamp(ts, UTC).date() < first_day:
            status_before = status
    for offset in range(days):
        day: date = first_day + timedelta(days=offset)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        end = min(start + 86400, now.timestamp())
        if end <= start:
            break
        current, cursor, down, worst_status = status_before, start, 0.0, status_before
        for ts, status in changes:
            if ts < start:
                continue
            if ts >= end:
                break
            down += (ts - cursor) * weights.get(current, 0.0)
            worst_status = worst([worst_status, status])
            current, cursor = status, ts
        down += (end - cursor) * weights.get(current, 0.0)
        status_before = current
        span = end - start
        day_incidents = [i for i in (incidents or []) if _touches(i, start, end)]
        result.append({
            "date": day.isoformat(),
            "uptime_pct": round(100.0 * (1 - down / span), 3) if span else 100.0,
            "worst_status": worst_status,
            "incidents": [{"id": i["id"], "name": i["name"], "impact": i["impact"]} for i in day_incidents],
        })
    return result


def _touches(incident: dict, start: float, end: float) -> bool:
    began = _ts(incident.get("started_at") or incident["created_at"])
    ended = _ts(incident["resolved_at"]) if incident.get("resolved_at") else float("inf")
    return began < end and ended >= start


def _ts(value: str) -> float:
    return parse_iso(value).timestamp()
