"""Checks of your own endpoints: CRUD (admin), run now, public state, health endpoint, badge."""
from __future__ import annotations

import secrets
from datetime import timedelta
from html import escape

from apiflask import APIBlueprint
from flask import Response, current_app
from polystatus.auth import require_role
from polystatus.errors import Conflict, Invalid, NotFound
from polystatus.redis_store import get_redis

from .. import targets
from . import engine, flows, schemas, service, storage

bp = APIBlueprint("checks", __name__, tag="Checks")
SVG = {200: {"description": "SVG badge", "content": {"image/svg+xml": {"schema": {"type": "string"}}}}}
HEALTH = {200: {"description": "healthy", "content": {"application/json": {"schema": {"type": "object"}}}},
          500: {"description": "unhealthy", "content": {"application/json": {"schema": {"type": "object"}}}}}


def load(check_id: str) -> dict:
    check = storage.get(get_redis(), check_id)
    if check is None:
        raise NotFound("No such check.")
    return check


def validate(data: dict) -> None:
    service.check_name(data["name"])
    kind = data["kind"]
    allow_private = current_app.config["CSP_ALLOW_PRIVATE_TARGETS"]
    if kind in ("assertions", "freshness", "task"):
        if not data.get("url"):
            raise Invalid("This kind of check needs a url.", details={"url": ["Required."]})
        targets.check_url(data["url"], allow_private)
    if kind == "assertions":
        service.compile_conditions(data.get("conditions") or ["[STATUS] == 200"])
    if kind == "freshness" and not data.get("max_age"):
        raise Invalid("A freshness check needs max_age (seconds).", details={"max_age": ["Required."]})
    if kind == "tcp" and not (data.get("host") and data.get("port")):
        raise Invalid("A tcp check needs host and port.", details={"host": ["Required."], "port": ["Required."]})
    if kind == "tcp":
        targets.check_url(targets.host_url(data["host"], data["port"]), allow_private)
    if kind == "dns" and not data.get("host"):
        raise Invalid("A dns check needs host.", details={"host": ["Required."]})


def create(data: dict) -> dict:
    validate(data)
    r = get_redis()
    if storage.by_name(r, data["name"]):
        raise Conflict("A check with this name exists.")
    check = {"id": secrets.token_hex(6), **data}
    storage.save(r, check, next_run=current_app.config["CLOCK"].now().timestamp())
    return check


@bp.post("/config/reload")
@bp.output(schemas.ReloadOut)
@bp.doc(summary="Apply the YAML config file again (admin)", responses={409: "No config file set", 422: "Invalid file"})
@require_role("admin")
def reload_config():
    from .. import config_apply

    path = current_app.config.get("CHECKS_CONFIG")
    if not path:
        raise Conflict("No CHECKS_CONFIG file is configured.")
    with open(path, encoding="utf-8") as handle:
        return config_apply.apply(get_redis(), handle.read(), current_app.config["CLOCK"].now(), current_app.config)


@bp.get("/checks")
@bp.output(schemas.CheckListOut)
@bp.doc(summary="Every check with its state and per-region results (public: no secrets)")
def list_checks():
    r = get_redis()
    return {"checks": [flows.public_view(c, storage.state(r, c["id"])) for c in storage.all_checks(r)]}


@bp.post("/checks")
@bp.input(schemas.CheckIn)
@bp.output(schemas.CheckOut, status_code=201)
@bp.doc(summary="Create a check (admin)", responses={409: "Name taken", 422: "Invalid check, condition or target"})
@require_role("admin")
def create_check(json_data):
    check = create(json_data)
    return flows.public_view(check, storage.state(get_redis(), check["id"]))


@bp.get("/checks/<check_id>")
@bp.output(schemas.CheckOut)
@bp.doc(summary="One check: state and last result")
def get_check(check_id):
    return flows.public_view(load(check_id), storage.state(get_redis(), check_id))


@bp.patch("/checks/<check_id>")
@bp.input(schemas.CheckIn(partial=True))
@bp.output(schemas.CheckOut)
@bp.doc(summary="Change a check (admin)", responses={422: "Invalid check"})
@require_role("admin")
def update_check(check_id, json_data):
    check = {**load(check_id), **json_data}
    validate(check)
    storage.save(get_redis(), check)
    return flows.public_view(check, storage.state(get_redis(), check_id))


@bp.delete("/checks/<check_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a check and its results (admin)")
@require_role("admin")
def delete_check(check_id):
    load(check_id)
    storage.delete(get_redis(), check_id)
    return ""


@bp.post("/checks/<check_id>/run")
@bp.output(schemas.Result)
@bp.doc(summary="Run the check now and answer the result (staff)")
@require_role("staff")
def run_check(check_id):
    check = load(check_id)
    config = current_app.config
    now = config["CLOCK"].now()
    result = engine.Engine(allow_private=config["CSP_ALLOW_PRIVATE_TARGETS"]).run([check], now)[0]
    flows.record(get_redis(), check, result, now)
    return {**result, "region": "local"}


@bp.get("/checks/<check_id>/health")
@bp.doc(summary="200 while the check is healthy, 500 while not (Py Pinger's /task/<url>)", responses=HEALTH)
def check_health(check_id):
    check = load(check_id)
    state = storage.state(get_redis(), check_id)
    healthy = state["state"] in ("up", "degraded")
    body = {"name": check["name"], "state": state["state"], "last_result": state.get("last_result")}
    return body, 200 if healthy else 500


@bp.get("/checks/<check_id>/badge.svg")
@bp.doc(summary="An SVG status badge", responses=SVG)
def check_badge(check_id):
    check = load(check_id)
    state = storage.state(get_redis(), check_id)["state"]
    colour = {"up": "#2e7d32", "degraded": "#f9a825", "down": "#c62828"}.get(state, "#757575")
    label, value = escape(check["name"][:30]), escape(state)
    width = 7 * len(label) + 10
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 60}" height="20" role="img" aria-label="{label}: {value}">'
           f'<rect width="{width}" height="20" fill="#555"/><rect x="{width}" width="60" height="20" fill="{colour}"/>'
           f'<g fill="#fff" font-family="Verdana,sans-serif" font-size="11"><text x="5" y="14">{label}</text>'
           f'<text x="{width + 6}" y="14">{value}</text></g></svg>')
    return Response(svg, content_type="image/svg+xml", headers={"Cache-Control": "max-age=30"})


@bp.get("/checks/<check_id>/results")
@bp.input(schemas.ResultsQuery, location="query")
@bp.output(schemas.ResultsOut)
@bp.doc(summary="Recent results, newest first (kept 7 days)")
def check_results(check_id, query_data):
    load(check_id)
    return {"results": storage.results(get_redis(), check_id, query_data["limit"])}


@bp.get("/checks/<check_id>/uptime")
@bp.input(schemas.UptimeQuery, location="query")
@bp.output(schemas.UptimeOut)
@bp.doc(summary="Daily share of OK runs, for 90-day bars")
def check_uptime(check_id, query_data):
    load(check_id)
    counts = storage.daily(get_redis(), check_id)
    today = current_app.config["CLOCK"].now().date()
    days = []
    for offset in range(query_data["days"] - 1, -1, -1):
        day = (today - timedelta(days=offset)).isoformat()
        total, ok = counts.get(f"{day}:total", 0), counts.get(f"{day}:ok", 0)
        days.append({"date": day, "runs": total, "uptime_pct": round(100 * ok / total, 3) if total else None})
    return {"days": days}
