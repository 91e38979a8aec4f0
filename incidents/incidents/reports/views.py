"""'I have a problem' reports: anonymous, deduplicated, rate limited."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, request
from polystatus import audit
from polystatus.errors import NotFound
from polystatus.redis_store import get_redis

from ..components import storage as components_storage
from . import flows, schemas

bp = APIBlueprint("reports", __name__, tag="Problem reports")


@bp.post("/reports")
@audit.exempt("anonymous problem reports, a high-rate machine of their own (rate limited, counted)")
@bp.input(schemas.ReportIn)
@bp.output(schemas.ReportAccepted, status_code=202)
@bp.doc(summary="Report a problem with a component (anonymous; one counted per client per 15 min)",
        responses={404: "No such component", 422: "Problem type not offered for this component",
                   429: "Too many reports from this address"})
def report(json_data):
    return flows.take(get_redis(), current_app.config, json_data["component_id"], json_data["problem_type"],
                      request.remote_addr, request.headers.get("X-Forwarded-For"))


@bp.get("/components/<component_id>/reports")
@bp.output(schemas.ReportsOut)
@bp.doc(summary="Last 24 h of reports per 5 minutes against the baseline, the state, the top problems")
def component_reports(component_id):
    r = get_redis()
    if components_storage.get(r, component_id) is None:
        raise NotFound("No such component.")
    return flows.summary(r, component_id, current_app.config["CLOCK"].now())
