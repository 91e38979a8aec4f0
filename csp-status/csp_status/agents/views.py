"""Vantage-point agents: admins register them; agents fetch their assignments and post results."""
from __future__ import annotations

import functools
import secrets

from apiflask import APIBlueprint
from flask import current_app, g, request
from polystatus import audit
from polystatus.auth import bearer_token, require_role
from polystatus.clock import isoformat
from polystatus.errors import NotFound, Unauthorized
from polystatus.redis_store import get_redis

from ..checks import flows as check_flows
from ..checks import sealing
from ..checks import storage as check_storage
from . import schemas, service, storage

bp = APIBlueprint("agents", __name__, tag="Agents")
AGENT_AUTH = {401: "Missing, unknown or revoked agent token"}
REFRESH_S = 30


def agent_required(view):
    """The caller must present an agent token (not a user's JWT). Checked in ``before_request``
    below, before the body is validated, as for every role-protected route: a caller without
    credentials learns nothing about the body a route expects."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)

    spec = dict(getattr(wrapper, "_spec", None) or {})
    spec.setdefault("security", [{"AgentToken": []}])
    wrapper._spec = spec
    wrapper._polystatus_agent_only = True
    return wrapper


@bp.before_request
def authenticate_agent():
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if not getattr(view, "_polystatus_agent_only", False):
        return
    token = bearer_token()
    agent = storage.by_token_hash(get_redis(), service.token_hash(token)) if token else None
    if agent is None:
        raise Unauthorized("This operation needs an agent token (POST /agents creates one).",
                           code="agent_token_invalid", headers={"WWW-Authenticate": 'Bearer realm="agents"'})
    g.agent = agent


def contact(agent: dict, **extra) -> None:
    storage.touch(get_redis(), agent["id"], {"at": isoformat(current_app.config["CLOCK"].now()),
                                             "version": request.headers.get("X-Agent-Version"), **extra})


@bp.post("/agents")
@bp.input(schemas.AgentIn)
@bp.output(schemas.AgentOut, status_code=201)
@bp.doc(summary="Register an agent for a region (admin); its token is shown only in this answer")
@require_role("admin")
def create_agent(json_data):
    token = service.new_token()
    agent = {"id": secrets.token_hex(6), "region": json_data["region"], "name": json_data.get("name"),
             "token_hash": service.token_hash(token), "created_at": isoformat(current_app.config["CLOCK"].now())}
    storage.save(get_redis(), agent)
    current_app.logger.info("agent %s registered for region %s", agent["id"], agent["region"])
    return {**public(agent), "token": token}


def public(agent: dict) -> dict:
    return {k: agent.get(k) for k in ("id", "region", "name", "created_at", "last_contact")}


@bp.get("/agents")
@bp.output(schemas.AgentListOut)
@bp.doc(summary="Agents with their last contact (admin)")
@require_role("admin")
def list_agents():
    return {"agents": [public(a) for a in storage.all_agents(get_redis())]}


@bp.delete("/agents/<agent_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Revoke an agent's token (admin)")
@require_role("admin")
def delete_agent(agent_id):
    agent = storage.get(get_redis(), agent_id)
    if agent is None:
        raise NotFound("No such agent.")
    storage.delete(get_redis(), agent)
    return ""


@bp.get("/agent/assignments")
@bp.output(schemas.AssignmentsOut)
@bp.doc(summary="The checks this agent's region runs (agent token); ETag / If-None-Match",
        responses={**AGENT_AUTH, 304: "Unchanged since the ETag given"})
@agent_required
def assignments():
    agent = g.agent
    keys = current_app.config["CHECK_SECRETS_KEY"]
    checks = [service.assignment(sealing.runnable(c, keys=keys)) for c in check_storage.all_checks(get_redis())
              if service.runs_in(c, agent["region"])]
    allow_private = current_app.config["CSP_ALLOW_PRIVATE_TARGETS"]
    etag = service.assignments_etag(agent["region"], checks, allow_private)
    contact(agent)
    if request.if_none_match.contains(etag.strip('"')):
        return current_app.response_class(status=304, headers={"ETag": etag})
    return ({"agent": {"id": agent["id"], "region": agent["region"]}, "allow_private": allow_private,
             "refresh_s": REFRESH_S, "checks": checks}, 200, {"ETag": etag})


@bp.post("/agent/results")
@audit.exempt("check results from vantage-point agents, every few seconds")
@bp.input(schemas.ResultsIn)
@bp.output(schemas.ResultsOut)
@bp.doc(summary="Post a batch of results (agent token); retrying a batch is safe", responses=AGENT_AUTH)
@agent_required
def post_results(json_data):
    agent, r = g.agent, get_redis()
    now = current_app.config["CLOCK"].now()
    counts = {"recorded": 0, "history": 0, "duplicates": 0, "unknown": [], "refused": 0}
    checks: dict[str, dict | None] = {}
    for item in json_data["results"]:
        check_id = item["check_id"]
        if check_id not in checks:
            found = check_storage.get(r, check_id)
            checks[check_id] = found if found and service.runs_in(found, agent["region"]) else None
        check = checks[check_id]
        if check is None:
            if check_id not in counts["unknown"]:
                counts["unknown"].append(check_id)
            continue
        verdict = service.classify(item["at"], now, check.get("interval", 60))
        if verdict == "future":
            counts["refused"] += 1
            continue
        result = {k: item.get(k) for k in ("ok", "reason", "status", "response_time_ms", "lag_s", "row_count",
                                           "packet_loss")}
        for fact in ("certificate_expires_at", "domain_expires_at"):
            if item.get(fact) is not None:
                result[fact] = isoformat(item[fact])
        result["at"] = isoformat(item["at"])
        outcome = check_flows.record(r, check, result, item["at"], region=agent["region"],
                                     dedup_key=service.dedup_key(agent["id"], item["id"]),
                                     history_only=verdict == "stale")
        if outcome is None:
            counts["duplicates"] += 1
        elif outcome.get("regions", {}).get(agent["region"], {}).get("at") == item["at"].timestamp():
            counts["recorded"] += 1  # the state now carries this result: it moved the check
        else:
            counts["history"] += 1
    contact(agent, buffered=json_data.get("buffered", 0), last_batch=len(json_data["results"]))
    if counts["unknown"] or counts["refused"]:
        current_app.logger.warning("agent %s (%s): %d results for unknown checks, %d dated in the future",
                                   agent["id"], agent["region"], len(counts["unknown"]), counts["refused"])
    return counts
