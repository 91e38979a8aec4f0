"""Checks of your own endpoints: CRUD (admin), run now, public state, health endpoint, badge."""
from __future__ import annotations

from datetime import timedelta

from apiflask import APIBlueprint
from flask import Response, current_app
from polystatus.auth import require_role
from polystatus.errors import Conflict, Invalid, NotFound
from polystatus.redis_store import get_redis

from . import badge, engine, flows, rdap, schemas, storage

bp = APIBlueprint("checks", __name__, tag="Checks")
SVG = {200: {"description": "SVG badge", "content": {"image/svg+xml": {"schema": {"type": "string"}}}}}
HEALTH = {200: {"description": "healthy", "content": {"application/json": {"schema": {"type": "object"}}}},
          500: {"description": "unhealthy", "content": {"application/json": {"schema": {"type": "object"}}}}}


def load(check_id: str) -> dict:
    check = storage.get(get_redis(), check_id)
    if check is None:
        raise NotFound("No such check.")
    return check


def domains() -> rdap.DomainExpiry:
    """The app's RDAP client: its cache of expiry dates lives as long as the process."""
    extensions = current_app.extensions
    if "csp_rdap" not in extensions:
        extensions["csp_rdap"] = rdap.DomainExpiry(current_app.config["RDAP_BOOTSTRAP_URL"])
    return extensions["csp_rdap"]


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


@bp.post("/import/gatus")
@bp.input(schemas.GatusImportIn)
@bp.output(schemas.GatusImportOut)
@bp.doc(summary="Import a Gatus config.yaml: endpoints, external endpoints, alerting providers (admin)",
        responses={422: "Not YAML, or not a Gatus config"})
@require_role("admin")
def import_gatus(json_data):
    from .. import config_file, gatus_import

    config = current_app.config
    try:
        report = gatus_import.run(get_redis(), json_data["config"], allow_private=config["CSP_ALLOW_PRIVATE_TARGETS"],
                                  now=config["CLOCK"].now(), dry_run=json_data["dry_run"])
    except config_file.ConfigError as exc:  # the document as a whole is refused: the field is `config`
        raise Invalid(exc.message, details={"config": exc.details or [exc.message]}) from None
    current_app.logger.info("Gatus import%s: %d created, %d updated, %d skipped", " (dry run)" if json_data["dry_run"]
                            else "", len(report["created"]), len(report["updated"]), len(report["skipped"]))
    return report


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
    config = current_app.config
    check = flows.create(get_redis(), json_data, allow_private=config["CSP_ALLOW_PRIVATE_TARGETS"],
                         now=config["CLOCK"].now(), keys=config["CHECK_SECRETS_KEY"])
    return flows.public_view(check, storage.state(get_redis(), check["id"]))


@bp.get("/checks/<check_id>")
@bp.output(schemas.CheckOut)
@bp.doc(summary="One check: state and last result")
def get_check(check_id):
    return flows.public_view(load(check_id), storage.state(get_redis(), check_id))


@bp.get("/checks/<check_id>/config")
@bp.output(schemas.CheckConfigOut)
@bp.doc(summary="Every setting of a check, secrets left out, for editing it (admin)")
@require_role("admin")
def check_config(check_id):
    return flows.admin_view(load(check_id))


@bp.patch("/checks/<check_id>")
@bp.input(schemas.CheckIn(partial=True))
@bp.output(schemas.CheckOut)
@bp.doc(summary="Change a check (admin)", responses={422: "Invalid check"})
@require_role("admin")
def update_check(check_id, json_data):
    config = current_app.config
    check = flows.update(get_redis(), check_id, json_data, allow_private=config["CSP_ALLOW_PRIVATE_TARGETS"],
                         keys=config["CHECK_SECRETS_KEY"])
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
    runner = engine.Engine(allow_private=config["CSP_ALLOW_PRIVATE_TARGETS"], domains=domains(), blocking_concurrency=1,
                           secrets_key=config["CHECK_SECRETS_KEY"])
    try:
        result = runner.run([check], now)[0]
    finally:
        runner.close()
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
    svg = badge.svg(check["name"], storage.state(get_redis(), check_id)["state"])
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
