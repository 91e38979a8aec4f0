"""Heartbeats: our own API (/heartbeats), Healthchecks' ping URLs (by UUID and by ping key and
slug), projects and Management API keys, mega_test_api apps. Healthchecks' Management API v3
is in management_api.py; both write through the same flows."""
from __future__ import annotations

from datetime import UTC, datetime

from apiflask import APIBlueprint
from flask import Response, current_app, request
from polystatus import audit, ratelimits
from polystatus.auth import caller_address, require_role
from polystatus.clock import isoformat
from polystatus.errors import Invalid, NotFound
from polystatus.redis_store import get_redis

from . import flows, schemas, service, storage

bp = APIBlueprint("heartbeats", __name__, tag="Heartbeats")


def _text(description: str) -> dict:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


# Healthchecks' answers, in plain text; only our rate limit answers in the platform's JSON shape.
PING_ANSWERS = {200: _text("OK"), 201: _text("Created (a slug ping with ?create=1 made the check)"),
                400: _text("invalid url format / invalid uuid format"), 404: _text("not found"),
                409: _text("ambiguous slug"), 429: "Too many pings"}


def scripts() -> storage.Scripts:
    return current_app.extensions["heartbeat_scripts"]


def cache() -> flows.ConfigCache:
    return current_app.extensions["heartbeat_cache"]


def now():
    return current_app.config["CLOCK"].now()


def load(heartbeat_id: str) -> dict:
    heartbeat = storage.get(get_redis(), heartbeat_id)
    if heartbeat is None:
        raise NotFound("No such heartbeat.")
    return heartbeat


def iso(ts) -> str | None:
    return isoformat(datetime.fromtimestamp(float(ts), UTC)) if ts else None


def render(heartbeat: dict, state: dict | None = None, *, with_pings: bool = False) -> dict:
    r = get_redis()
    heartbeat = {**service.DEFAULTS, **heartbeat}
    state = storage.state(r, heartbeat["id"]) if state is None else state
    return {**{k: heartbeat.get(k) for k in ("id", "name", "timeout", "schedule", "tz", "grace", "app_id", "slug",
                                              "tags", "desc", "manual_resume", "methods", "project", "component_ids")},
            "timeout": None if heartbeat.get("schedule") else heartbeat.get("timeout"),
            "paused": state.get("status") == "paused", "retired": bool(heartbeat.get("retired")),
            "ping_url": f"{current_app.config['PUBLIC_URL'].rstrip('/')}/ping/{heartbeat['id']}",
            "state": service.shown_state(heartbeat, state, now().timestamp()), "last_ping": iso(state.get("last_ping")),
            "started": state.get("last_start") is not None, "last_start": iso(state.get("last_start")),
            "last_duration_s": state.get("last_duration"), "pings": state.get("n_pings", 0),
            "recent_pings": [{k: v for k, v in p.items() if k != "ts"} for p in storage.pings(r, heartbeat["id"], 20)]
            if with_pings else []}


@bp.get("/heartbeats/preview")
@bp.input(schemas.PreviewQuery, location="query")
@bp.output(schemas.PreviewOut)
@bp.doc(summary="When pings would be expected with this schedule (cron + tz) or timeout, from now (staff)",
        responses={422: "Bad cron expression or time zone"})
@require_role("staff")
def preview_schedule(query_data):
    if not query_data.get("schedule") and not query_data.get("timeout"):
        raise Invalid("Give either timeout (seconds) or schedule (cron).", details={"schedule": ["Required."]})
    # the one validation of a heartbeat, so the preview refuses what saving would refuse
    heartbeat = service.heartbeat_rules({key: query_data.get(key) for key in ("schedule", "tz", "timeout", "grace")})
    moments = service.upcoming(heartbeat, current_app.config["CLOCK"].now().timestamp(), query_data["count"])
    return {"expected": [iso(m) for m in moments], "down_after": [iso(m + query_data["grace"]) for m in moments]}


@bp.get("/heartbeats")
@bp.output(schemas.HeartbeatListOut)
@bp.doc(summary="Every heartbeat with its ping URL (staff: ping URLs are secrets)")
@require_role("staff")
def list_heartbeats():
    heartbeats = storage.all_heartbeats(get_redis())
    states = storage.states(get_redis(), [h["id"] for h in heartbeats])
    return {"heartbeats": [render(h, s) for h, s in zip(heartbeats, states, strict=True)]}


@bp.get("/heartbeats/public")
@bp.output(schemas.PublicListOut)
@bp.doc(summary="Heartbeats' names and states for the public page (no ping URLs)")
def public_heartbeats():
    heartbeats = [h for h in storage.all_heartbeats(get_redis()) if not h.get("retired")]
    states = storage.states(get_redis(), [h["id"] for h in heartbeats])
    items = [render(h, s) for h, s in zip(heartbeats, states, strict=True)]
    return {"heartbeats": [{k: h[k] for k in ("id", "name", "state", "last_ping")} for h in items]}


@bp.post("/heartbeats")
@bp.input(schemas.HeartbeatIn)
@bp.output(schemas.HeartbeatOut, status_code=201)
@bp.doc(summary="Create a heartbeat: {name, timeout, grace} or {name, schedule, tz, grace} (admin)",
        responses={422: "Neither timeout nor schedule, bad cron or time zone"})
@require_role("admin")
def create_heartbeat(json_data):
    project = json_data.pop("project", "default")
    return render(flows.create(get_redis(), json_data, now=now(), project=project))


@bp.get("/heartbeats/<heartbeat_id>")
@bp.output(schemas.HeartbeatOut)
@bp.doc(summary="One heartbeat with its recent pings (staff)")
@require_role("staff")
def get_heartbeat(heartbeat_id):
    return render(load(heartbeat_id), with_pings=True)


@bp.patch("/heartbeats/<heartbeat_id>")
@bp.input(schemas.HeartbeatPatch)
@bp.output(schemas.HeartbeatOut)
@bp.doc(summary="Change, pause (a ping resumes it unless manual_resume), resume or retire a heartbeat (admin)")
@require_role("admin")
def update_heartbeat(heartbeat_id, json_data):
    paused = json_data.pop("paused", None)
    heartbeat = flows.update(get_redis(), scripts(), load(heartbeat_id), json_data, cache=cache())
    if paused is True:
        flows.pause(get_redis(), scripts(), heartbeat, now=now())
    elif paused is False and storage.state(get_redis(), heartbeat_id).get("status") == "paused":
        flows.resume(get_redis(), scripts(), heartbeat, now=now())
    return render(heartbeat)


@bp.delete("/heartbeats/<heartbeat_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a heartbeat (admin)")
@require_role("admin")
def delete_heartbeat(heartbeat_id):
    flows.delete(get_redis(), load(heartbeat_id), cache=cache())
    return ""


# --- projects and Management API keys --------------------------------------------------------
@bp.get("/heartbeats/projects")
@bp.output(schemas.ProjectListOut)
@bp.doc(summary="Projects and their ping keys (admin: a ping key names every slug URL)")
@require_role("admin")
def list_projects():
    flows.ensure_project(get_redis(), "default")
    return {"projects": storage.projects(get_redis())}


@bp.post("/heartbeats/projects")
@bp.input(schemas.ProjectIn)
@bp.output(schemas.ProjectOut, status_code=201)
@bp.doc(summary="Create a project, with its own ping key (admin)")
@require_role("admin")
def create_project(json_data):
    return flows.ensure_project(get_redis(), json_data["id"], json_data.get("name"))


@bp.get("/heartbeats/api-keys")
@bp.output(schemas.ApiKeyListOut)
@bp.doc(summary="Management API v3 keys, without the keys themselves (admin)")
@require_role("admin")
def list_api_keys():
    return {"keys": sorted(storage.api_keys(get_redis()).values(), key=lambda k: k["created"])}


@bp.post("/heartbeats/api-keys")
@bp.input(schemas.ApiKeyIn)
@bp.output(schemas.ApiKeyOut, status_code=201)
@bp.doc(summary="Create a Healthchecks Management API v3 key, read-write or read-only; the key is shown once (admin)")
@require_role("admin")
def create_api_key(json_data):
    key, record = flows.create_api_key(get_redis(), now=now(), **json_data)
    return {**record, "key": key}


@bp.delete("/heartbeats/api-keys/<key_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Revoke a Management API v3 key (admin)")
@require_role("admin")
def delete_api_key(key_id):
    flows.revoke_api_key(get_redis(), key_id)
    return ""


# --- pings, as Healthchecks answers them ---------------------------------------------------------
def ping_request() -> flows.PingRequest:
    return flows.PingRequest(
        path=request.path, method=request.method, rid=request.args.get("rid"), create=request.args.get("create"),
        remote_addr=request.remote_addr, forwarded_for=request.headers.get("X-Forwarded-For"),
        scheme=request.headers.get("X-Forwarded-Proto", "http"), user_agent=request.headers.get("User-Agent", ""),
        read_body=lambda: request.get_data(cache=False))


def _ping():
    config = current_app.config
    status, text = flows.take_ping(get_redis(), scripts(), config, cache(), ping_request())
    return Response(text, status=status, headers=flows.ping_headers(config, config["CLOCK"].now().timestamp()))


@bp.route("/ping/<heartbeat_id>", methods=["GET", "POST", "HEAD"])
@audit.exempt("heartbeat pings from cron jobs, every run")
@bp.doc(summary="Success ping (answer: OK in plain text, as Healthchecks)", responses=PING_ANSWERS)
def ping_success(heartbeat_id):
    return _ping()


@bp.route("/ping/<heartbeat_id>/<suffix>", methods=["GET", "POST", "HEAD"])
@audit.exempt("heartbeat pings from cron jobs, every run")
@bp.doc(summary="By UUID: start, fail, log or an exit status 0-255 (0 = success). "
                "By slug: /ping/<ping-key>/<slug> is a success ping (?create=1 provisions it)", responses=PING_ANSWERS)
def ping_kind(heartbeat_id, suffix):
    return _ping()


@bp.route("/ping/<ping_key>/<slug>/<suffix>", methods=["GET", "POST", "HEAD"])
@audit.exempt("heartbeat pings from cron jobs, every run")
@bp.doc(summary="By slug: start, fail, log or an exit status 0-255 (?create=1 provisions the check)",
        responses=PING_ANSWERS)
def ping_slug_kind(ping_key, slug, suffix):
    return _ping()


@bp.route("/ping/<heartbeat_id>/", methods=["GET", "POST", "HEAD"])
@audit.exempt("heartbeat pings from cron jobs, every run")
@bp.doc(hide=True)
def ping_trailing_slash(heartbeat_id):
    return _ping()


@bp.post("/api/apps/")
@audit.exempt("applications posting their status, every few minutes")
@bp.input(schemas.AppIn)
@bp.output(schemas.AppOut)
@bp.doc(summary="mega_test_api: an application posts its status; unknown apps are registered",
        responses={429: "Too many posts, or new apps from one address"})
def app_status(json_data):
    r = get_redis()
    config = current_app.config
    app_id = json_data["app_id"]
    heartbeat_id = storage.app_heartbeat(r, app_id)
    heartbeat = storage.get(r, heartbeat_id) if heartbeat_id else None
    if heartbeat is None:
        # Open by contract (mega_test_api's apps just post), so registering is what is limited:
        # one address cannot fill the page with apps that will all go down and alert.
        address = caller_address()
        ratelimits.enforce(r, f"apps-new:{address}", config["APPS_NEW_PER_HOUR"], 3600, what="new apps",
                           now=now().timestamp())
        heartbeat = flows.create(r, {"name": f"app-{app_id}", "timeout": config["APPS_TIMEOUT"],
                                     "grace": config["APPS_GRACE"]}, now=now(), app_id=app_id)
        storage.link_app(r, app_id, heartbeat["id"])
    flows.record(r, scripts(), config, heartbeat, ok=service.app_message_ok(json_data["message"]),
                 message=json_data["message"], source="mega_test_api")
    return {"app_id": app_id, "heartbeat_id": heartbeat["id"], "state": render(heartbeat)["state"]}
