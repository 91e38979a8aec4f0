"""'I have a problem' reports: anonymous, deduplicated, rate limited."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, request
from polystatus import ratelimits
from polystatus.errors import Invalid, NotFound, RateLimited
from polystatus.redis_store import get_redis

from ..components import storage as components_storage
from . import flows, schemas, storage

bp = APIBlueprint("reports", __name__, tag="Problem reports")


@bp.post("/reports")
@bp.input(schemas.ReportIn)
@bp.output(schemas.ReportAccepted, status_code=202)
@bp.doc(summary="Report a problem with a component (anonymous; one counted per client per 15 min)",
        responses={404: "No such component", 422: "Problem type not offered for this component",
                   429: "Too many reports from this address"})
def report(json_data):
    r = get_redis()
    config = current_app.config
    # The client is its address; X-Forwarded-For only counts from the trusted proxy (the
    # frontend), so nobody multiplies their reports by forging headers.
    client = ratelimits.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                       config["TRUSTED_PROXIES"])
    limit_key, retry_after = ratelimits.window_key(f"reports:{client}", 60)
    outcome = storage.record(r, json_data["component_id"], json_data["problem_type"], client,
                             config["CLOCK"].now().timestamp(), limit_key=limit_key,
                             limit=config["REPORTS_PER_ADDRESS_PER_MINUTE"], window_s=60)
    if outcome == storage.NO_COMPONENT:
        raise NotFound("No such component.")
    if outcome == storage.NOT_OFFERED:
        offered = (components_storage.get(r, json_data["component_id"]) or {}).get("problem_types", [])
        raise Invalid("This problem type is not offered for this component.",
                      details={"problem_type": [f"One of {', '.join(offered)}."]})
    if outcome == storage.RATE_LIMITED:
        raise RateLimited(f"Too many reports; try again in {retry_after} s.", retry_after=retry_after)
    return {"accepted": True, "counted": outcome == storage.COUNTED}


@bp.get("/components/<component_id>/reports")
@bp.output(schemas.ReportsOut)
@bp.doc(summary="Last 24 h of reports per 5 minutes against the baseline, the state, the top problems")
def component_reports(component_id):
    r = get_redis()
    if components_storage.get(r, component_id) is None:
        raise NotFound("No such component.")
    return flows.summary(r, component_id, current_app.config["CLOCK"].now())
