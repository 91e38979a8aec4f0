"""Incidents and their timelines: staff write, public read."""
from __future__ import annotations

from datetime import datetime

from apiflask import APIBlueprint
from flask import current_app, g
from polystatus.auth import require_role
from polystatus.errors import BadRequest, NotFound
from polystatus.redis_store import get_redis

from ..components import storage as components_storage
from ..statuspage import service as statuspage
from . import flows, schemas, storage

bp = APIBlueprint("incidents", __name__, tag="Incidents")


def render(incident: dict) -> dict:
    names = {c["id"]: c for c in components_storage.all_components(get_redis())}
    config = current_app.config
    doc = statuspage.incident(incident, names, config["PAGE_ID"], config["PUBLIC_URL"])
    return {**doc, "automated": incident.get("automated", False), "taken_over": incident.get("taken_over", False)}


def parse_time(value: str | None, field: str) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise BadRequest(f"{field} must be an ISO 8601 date-time.", details={field: ["Not a date-time."]}) from None


@bp.post("/incidents")
@bp.input(schemas.IncidentIn)
@bp.output(schemas.IncidentOut, status_code=201)
@bp.doc(summary="Open an incident (staff)", responses={422: "Unknown components"})
@require_role("staff")
def create_incident(json_data):
    incident = flows.create(get_redis(), current_app.config, current_app.config["CLOCK"].now(), json_data,
                            request_id=g.get("request_id"))
    return render(incident)


@bp.post("/incidents/<incident_id>/updates")
@bp.input(schemas.UpdateIn)
@bp.output(schemas.IncidentOut, status_code=201)
@bp.doc(summary="Add a timeline entry; resolving restores components (staff)",
        responses={409: "Transition that makes no sense", 422: "Unknown components"})
@require_role("staff")
def add_update(incident_id, json_data):
    incident = flows.add_update(get_redis(), current_app.config, current_app.config["CLOCK"].now(), incident_id,
                                json_data, request_id=g.get("request_id"))
    return render(incident)


@bp.post("/incidents/<incident_id>/takeover")
@bp.output(schemas.IncidentOut)
@bp.doc(summary="Take an automated incident over: automation leaves it alone (staff)")
@require_role("staff")
def take_over(incident_id):
    return render(flows.take_over(get_redis(), incident_id))


@bp.get("/incidents/<incident_id>")
@bp.output(schemas.IncidentOut)
@bp.doc(summary="One incident with its whole timeline")
def get_incident(incident_id):
    incident = storage.get(get_redis(), incident_id)
    if incident is None:
        raise NotFound("No such incident.")
    return render(incident)


@bp.get("/incidents")
@bp.input(schemas.HistoryQuery, location="query")
@bp.output(schemas.IncidentPageOut)
@bp.doc(summary="History, newest first, with filters (component, status, time range)")
def list_incidents(query_data):
    r = get_redis()
    items, _ = storage.newest(r, 0, 0, component=query_data.get("component"),
                              since_ts=parse_time(query_data.get("since"), "since"),
                              until_ts=parse_time(query_data.get("until"), "until"))
    status = query_data.get("status")
    if status == "open":
        items = [i for i in items if i["status"] in ("investigating", "identified", "monitoring")]
    elif status:
        items = [i for i in items if i["status"] == status]
    page, per_page = query_data["page"], query_data["per_page"]
    chunk = items[(page - 1) * per_page: page * per_page]
    return {"incidents": [render(i) for i in chunk], "page": page, "per_page": per_page, "total": len(items)}
