"""Heartbeats: healthchecks.io-compatible pings, schedules, pause/retire, mega_test_api apps."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from apiflask import APIBlueprint
from flask import Response, current_app, request
from polystatus import ratelimits
from polystatus.auth import require_role
from polystatus.clock import isoformat
from polystatus.errors import Invalid, NotFound
from polystatus.redis_store import get_redis

from ..checks.service import check_name
from . import flows, schemas, service, storage

bp = APIBlueprint("heartbeats", __name__, tag="Heartbeats")
OK_TEXT = {200: {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}}


def load(heartbeat_id: str) -> dict:
    heartbeat = storage.get(get_redis(), heartbeat_id)
    if heartbeat is None:
        raise NotFound("No such heartbeat.")
    return heartbeat


def iso(ts) -> str | None:
    return isoformat(datetime.fromtimestamp(float(ts), UTC)) if ts else None


def render(heartbeat: dict, *, with_pings: bool = False) -> dict:
    r = get_redis()
    state = storage.state(r, heartbeat["id"])
    now = current_app.config["CLOCK"].now().timestamp()
    return {**{k: heartbeat.get(k) for k in ("id", "name", "timeout", "schedule", "tz", "grace", "app_id")},
            "component_ids": heartbeat.get("component_ids", []), "paused": bool(heartbeat.get("paused")),
            "retired": bool(heartbeat.get("retired")),
            "ping_url": f"{current_app.config['PUBLIC_URL'].rstrip('/')}/ping/{heartbeat['id']}",
            "state": service.shown_state(heartbeat, state, now), "last_ping": iso(state.get("last_ping")),
            "last_duration_s": state.get("duration"), "pings": state.get("pings", 0),
            "recent_pings": storage.pings(r, heartbeat["id"]) if with_pings else []}


def create(data: dict, *, app_id: int | None = None) -> dict:
    check_name(data["name"])
    if not data.get("timeout") and not data.get("schedule"):
        raise Invalid("Give either timeout (seconds) or schedule (cron).", details={"timeout": ["Required."]})
    service.validate_schedule(data.get("schedule"), data.get("tz"))
    heartbeat = {"id": str(uuid.uuid4()), "name": data["name"], "timeout": data.get("timeout"),
                 "schedule": data.get("schedule"), "tz": data.get("tz") or "UTC", "grace": data.get("grace", 300),
                 "component_ids": data.get("component_ids", []), "paused": False, "retired": False, "app_id": app_id}
    storage.save(get_redis(), heartbeat)
    return heartbeat


@bp.get("/heartbeats")
@bp.output(schemas.HeartbeatListOut)
@bp.doc(summary="Every heartbeat with its ping URL (staff: ping URLs are secrets)")
@require_role("staff")
def list_heartbeats():
    return {"heartbeats": [render(h) for h in storage.all_heartbeats(get_redis())]}


@bp.get("/heartbeats/public")
@bp.output(schemas.PublicListOut)
@bp.doc(summary="Heartbeats' names and states for the public page (no ping URLs)")
def public_heartbeats():
    items = [render(h) for h in storage.all_heartbeats(get_redis()) if not h.get("retired")]
    return {"heartbeats": [{k: h[k] for k in ("id", "name", "state", "last_ping")} for h in items]}


@bp.post("/heartbeats")
@bp.input(schemas.HeartbeatIn)
@bp.output(schemas.HeartbeatOut, status_code=201)
@bp.doc(summary="Create a heartbeat: {name, timeout, grace} or {name, schedule, tz, grace} (admin)",
        responses={422: "Neither timeout nor schedule, bad cron or time zone"})
@require_role("admin")
def create_heartbeat(json_data):
    return render(create(json_data))


@bp.get("/heartbeats/<heartbeat_id>")
@bp.output(schemas.HeartbeatOut)
@bp.doc(summary="One heartbeat with its recent pings (staff)")
@require_role("staff")
def get_heartbeat(heartbeat_id):
    return render(load(heartbeat_id), with_pings=True)


@bp.patch("/heartbeats/<heartbeat_id>")
@bp.input(schemas.HeartbeatPatch)
@bp.output(schemas.HeartbeatOut)
@bp.doc(summary="Change, pause or retire a heartbeat (admin)")
@require_role("admin")
def update_heartbeat(heartbeat_id, json_data):
    heartbeat = {**load(heartbeat_id), **json_data}
    check_name(heartbeat["name"])
    service.validate_schedule(heartbeat.get("schedule"), heartbeat.get("tz"))
    storage.save(get_redis(), heartbeat)
    if heartbeat.get("paused") or heartbeat.get("retired"):
        get_redis().zrem("heartbeat-deadlines", heartbeat_id)
    return render(heartbeat)


@bp.delete("/heartbeats/<heartbeat_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a heartbeat (admin)")
@require_role("admin")
def delete_heartbeat(heartbeat_id):
    load(heartbeat_id)
    storage.delete(get_redis(), heartbeat_id)
    return ""


def _ping(heartbeat_id: str, suffix: str | None):
    flows.take_ping(get_redis(), current_app.config, heartbeat_id, suffix, method=request.method,
                    remote_addr=request.remote_addr, forwarded_for=request.headers.get("X-Forwarded-For"),
                    read_body=lambda: request.get_data(cache=False), rid=request.args.get("rid"))
    return Response("OK", content_type="text/plain")


@bp.route("/ping/<heartbeat_id>", methods=["GET", "POST", "HEAD"])
@bp.doc(summary="Success ping (answer: OK)", responses=OK_TEXT)
def ping_success(heartbeat_id):
    return _ping(heartbeat_id, None)


@bp.route("/ping/<heartbeat_id>/<suffix>", methods=["GET", "POST", "HEAD"])
@bp.doc(summary="start, fail, log, or an exit status (0 = success)", responses={**OK_TEXT, 422: "Unknown suffix"})
def ping_kind(heartbeat_id, suffix):
    return _ping(heartbeat_id, suffix)


@bp.post("/api/apps/")
@bp.input(schemas.AppIn)
@bp.output(schemas.AppOut)
@bp.doc(summary="mega_test_api: an application posts its status; unknown apps are registered",
        responses={409: "The app is retired", 429: "Too many posts, or new apps from one address"})
def app_status(json_data):
    r = get_redis()
    config = current_app.config
    now = config["CLOCK"].now()
    app_id = json_data["app_id"]
    heartbeat_id = r.get(f"app:{app_id}")
    heartbeat = storage.get(r, heartbeat_id) if heartbeat_id else None
    if heartbeat is None:
        # Open by contract (mega_test_api's apps just post), so registering is what is limited:
        # one address cannot fill the page with apps that will all go down and alert.
        address = ratelimits.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                            config["TRUSTED_PROXIES"])
        ratelimits.enforce(r, f"apps-new:{address}", config["APPS_NEW_PER_HOUR"], 3600, what="new apps",
                           now=now.timestamp())
        heartbeat = create({"name": f"app-{app_id}", "timeout": current_app.config["APPS_TIMEOUT"],
                            "grace": current_app.config["APPS_GRACE"]}, app_id=app_id)
        r.set(f"app:{app_id}", heartbeat["id"])
    ratelimits.enforce(r, f"ping:{heartbeat['id']}", config["PINGS_PER_MINUTE"], 60, what="posts", now=now.timestamp())
    kind = "success" if service.app_message_ok(json_data["message"]) else "fail"
    flows.ping(r, heartbeat, kind, now, body=json_data["message"])
    return {"app_id": app_id, "heartbeat_id": heartbeat["id"], "state": render(heartbeat)["state"]}
