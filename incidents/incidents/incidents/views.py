"""Incidents and their timelines: staff write, public read."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, g
from polystatus.auth import current_identity, require_role
from polystatus.clock import parse_iso
from polystatus.errors import BadRequest
from polystatus.redis_store import get_redis

from ..components import storage as components_storage
from ..statuspage import service as statuspage
from . import flows, schemas, service, storage

bp = APIBlueprint("incidents", __name__, tag="Incidents")


def render(incident: dict) -> dict:
    names = {c["id"]: c for c in components_storage.all_components(get_redis())}
    config = current_app.config
    doc = statuspage.incident(incident, names, config["PAGE_ID"], config["PUBLIC_URL"])
    return {**doc, "automated": incident.get("automated", False), "taken_over": incident.get("taken_over", False),
            "impact_override": incident.get("impact_override", False)}


def parse_time(value: str | None, field: str) -> float | None:
    if not value:
        return None
    try:
        return parse_iso(value).timestamp()
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


def actor() -> str:
    identity = current_identity()
    return identity.email or identity.sub


def now():
    return current_app.config["CLOCK"].now()


@bp.patch("/incidents/<incident_id>")
@bp.input(schemas.IncidentPatch)
@bp.output(schemas.IncidentOut)
@bp.doc(summary="Correct an incident: title, impact, components; recorded in its edit log, no timeline entry (staff)",
        responses={422: "Unknown components"})
@require_role("staff")
def edit_incident(incident_id, json_data):
    return render(flows.edit(get_redis(), current_app.config, now(), incident_id, json_data, by=actor(),
                             request_id=g.get("request_id")))


@bp.patch("/incidents/<incident_id>/updates/<update_id>")
@bp.input(schemas.UpdatePatch)
@bp.output(schemas.IncidentOut)
@bp.doc(summary="Correct the text of a timeline entry; the old text stays in the edit log (staff)")
@require_role("staff")
def edit_update(incident_id, update_id, json_data):
    return render(flows.edit_update(get_redis(), current_app.config, now(), incident_id, update_id,
                                    json_data["body"], by=actor(), request_id=g.get("request_id")))


@bp.get("/incidents/<incident_id>/edits")
@bp.output(schemas.EditsOut)
@bp.doc(summary="Who corrected what in an incident, when, before and after (staff)")
@require_role("staff")
def incident_edits(incident_id):
    return {"edits": load(incident_id).get("edits", [])}


@bp.delete("/incidents/<incident_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete an incident; the components it held are released (admin)")
@require_role("admin")
def delete_incident(incident_id):
    flows.delete(get_redis(), current_app.config, now(), incident_id, request_id=g.get("request_id"))
    return ""


def postmortem_view(incident: dict) -> dict:
    return {"incident_id": incident["id"], "status": incident["status"],
            "body_draft": incident.get("postmortem_body_draft"), "body": incident.get("postmortem_body"),
            "last_updated_at": incident.get("postmortem_body_last_updated_at"),
            "last_edited_by": incident.get("postmortem_last_edited_by"),
            "published_at": incident.get("postmortem_published_at")}


@bp.get("/incidents/<incident_id>/postmortem")
@bp.output(schemas.PostmortemOut)
@bp.doc(summary="The postmortem, draft and published (staff)")
@require_role("staff")
def get_postmortem(incident_id):
    return postmortem_view(load(incident_id))


@bp.put("/incidents/<incident_id>/postmortem")
@bp.input(schemas.PostmortemIn)
@bp.output(schemas.PostmortemOut)
@bp.doc(summary="Write the postmortem draft, in Markdown (staff)")
@require_role("staff")
def put_postmortem(incident_id, json_data):
    return postmortem_view(flows.save_postmortem(get_redis(), current_app.config, now(), incident_id,
                                                 json_data["body"], by=actor()))


@bp.put("/incidents/<incident_id>/postmortem/publish")
@bp.output(schemas.PostmortemOut)
@bp.doc(summary="Publish the draft: the incident's status becomes postmortem and followers are told (staff)",
        responses={409: "Not resolved yet, or no draft"})
@require_role("staff")
def publish_postmortem(incident_id):
    return postmortem_view(flows.publish_postmortem(get_redis(), current_app.config, now(), incident_id,
                                                    request_id=g.get("request_id")))


@bp.put("/incidents/<incident_id>/postmortem/revert")
@bp.output(schemas.PostmortemOut)
@bp.doc(summary="Take a published postmortem back; the incident is resolved again and the draft kept (staff)",
        responses={409: "Nothing published"})
@require_role("staff")
def revert_postmortem(incident_id):
    return postmortem_view(flows.revert_postmortem(get_redis(), current_app.config, now(), incident_id, by=actor(),
                                                   request_id=g.get("request_id")))


@bp.post("/incidents/<incident_id>/takeover")
@bp.output(schemas.IncidentOut)
@bp.doc(summary="Take an automated incident over: automation leaves it alone (staff)")
@require_role("staff")
def take_over(incident_id):
    return render(flows.take_over(get_redis(), incident_id))


def load(incident_id: str) -> dict:
    return flows.load(get_redis(), incident_id)


@bp.get("/incidents/<incident_id>")
@bp.output(schemas.IncidentOut)
@bp.doc(summary="One incident with its whole timeline")
def get_incident(incident_id):
    return render(load(incident_id))


@bp.get("/incidents")
@bp.input(schemas.HistoryQuery, location="query")
@bp.output(schemas.IncidentPageOut)
@bp.doc(summary="History, newest first, with filters (component, status, time range, words)")
def list_incidents(query_data):
    r = get_redis()
    items, _ = storage.newest(r, 0, 0, component=query_data.get("component"),
                              since_ts=parse_time(query_data.get("since"), "since"),
                              until_ts=parse_time(query_data.get("until"), "until"))
    status = query_data.get("status")
    if status == "open":
        items = [i for i in items if service.is_open(i)]
    elif status:
        items = [i for i in items if i["status"] == status]
    if query_data.get("q"):
        items = [i for i in items if service.matches(i, query_data["q"])]
    page, per_page = query_data["page"], query_data["per_page"]
    chunk = items[(page - 1) * per_page: page * per_page]
    return {"incidents": [render(i) for i in chunk], "page": page, "per_page": per_page, "total": len(items)}
