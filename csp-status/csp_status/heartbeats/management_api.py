"""Healthchecks' Management API v3 for checks, under /api/v3/, with Healthchecks' keys, field
names, status codes and error texts, so scripts and integrations written for Healthchecks work
when pointed at PolyStatus. A check here is a heartbeat of ours: the same flows write both.

Deliberately Healthchecks' own conventions, not the platform's: the `X-Api-Key` (or a JSON
body's `api_key`) of a project instead of a bearer token, `{"error": "..."}` instead of our
error shape, CORS open to any origin (keys, not cookies, authorise).
"""
from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime

from apiflask import APIBlueprint
from flask import Response, current_app, request
from polystatus import text
from polystatus.errors import Conflict, Invalid
from polystatus.redis_store import get_redis
from polystatus.text import problem

from . import flows, service, storage

bp = APIBlueprint("healthchecks_api", __name__, tag="Healthchecks Management API v3")
V3 = "/api/v3"


def _json(description: str, schema: dict | None = None) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


HC_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}}
# Every route answers in Healthchecks' own shapes (documented here for /docs and the fuzzer).
ANSWERS = {200: _json("OK"), 201: _json("created"), 204: {"description": "CORS preflight"},
           400: _json("json validation error: …", HC_ERROR), 401: _json("missing api key / wrong api key", HC_ERROR),
           403: {"description": "a check of another project"}, 404: _json("not found", HC_ERROR),
           409: {"description": "check is not paused", "content": {"text/html": {"schema": {"type": "string"}}}}}
DOC = {"security": [], "responses": ANSWERS}
MAX_TIMEOUT = 31536000
# Healthchecks' Spec, in its order (the first error found is the one reported).
FIELDS = [("channels", str, 0), ("desc", str, 0), ("failure_kw", str, 200), ("filter_subject", bool, 0),
          ("filter_body", bool, 0), ("filter_http_body", bool, 0), ("filter_default_fail", bool, 0),
          ("grace", int, 0), ("manual_resume", bool, 0), ("methods", str, 0), ("name", str, 100),
          ("schedule", str, 100), ("slug", str, 100), ("start_kw", str, 200), ("subject", str, 200),
          ("subject_fail", str, 200), ("success_kw", str, 200), ("tags", str, 0), ("timeout", int, 0),
          ("tz", str, 0), ("unique", list, 0)]
UNIQUE = ("name", "slug", "tags", "timeout", "grace")


class ApiError(Exception):
    def __init__(self, status: int, message: str = ""):
        self.status, self.message = status, message


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    if not exc.message:
        return Response(status=exc.status)
    return Response(json.dumps({"error": exc.message}), status=exc.status, content_type="application/json")


@bp.before_request
def _preflight():
    """Healthchecks answers every API route's CORS preflight itself: 204, headers below."""
    if request.method == "OPTIONS":
        return Response(status=204)
    return None


@bp.after_request
def _cors(response):
    """Healthchecks' CORS on every API answer: any origin, the key header, the route's methods."""
    methods = sorted((request.url_rule.methods if request.url_rule else set()) - {"HEAD"})
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = "X-Api-Key"
    response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
    response.headers["Access-Control-Max-Age"] = "600"
    return response


def answer(value, status: int = 200) -> Response:
    # text.dumps, as every JSON answer of ours: a check stored before the text rules comes back
    # cleaned, never as an unpaired surrogate a strict client refuses.
    return Response(text.dumps(value), status=status, content_type="application/json")


def body() -> dict:
    if request.method != "POST" or not request.get_data(cache=True):
        return {}
    try:
        value = json.loads(request.get_data(cache=True).decode())
    except ValueError:
        raise ApiError(400, "could not parse request body") from None
    if not isinstance(value, dict):
        raise ApiError(400, "json validation error: value is not an object")
    return value


def authorise(*, write: bool) -> tuple[dict, dict]:
    """(the key's record, the JSON body) or ApiError 401, as Healthchecks' authorize decorators."""
    data = body() if write else {}
    if "X-Api-Key" in request.headers:
        api_key = request.headers["X-Api-Key"]
    elif write and "api_key" in data:
        api_key = str(data["api_key"])
    else:
        api_key = ""
    record, error = flows.project_of_key(get_redis(), api_key, write=write)
    if record is None:
        raise ApiError(401, error)
    return record, data


def check_of(key: dict, code: str) -> dict:
    """The key's project's check by UUID, or by unique_key where Healthchecks takes one too."""
    if len(code) == 40 and code.isalnum():
        for heartbeat in storage.all_heartbeats(get_redis()):
            if heartbeat.get("project", "default") == key["project"] and service.unique_key(heartbeat["id"]) == code:
                return heartbeat
        raise ApiError(404, "not found")
    heartbeat = storage.get(get_redis(), code) if service.UUID.match(code) else None
    if heartbeat is None:
        raise ApiError(404, "not found")
    if heartbeat.get("project", "default") != key["project"]:
        raise ApiError(403)
    return heartbeat


def writable(code: str) -> dict:
    """A check of the read-write key's project, by UUID only (as Healthchecks' write routes)."""
    key, _ = authorise(write=True)
    return check_of(key, code if service.UUID.match(code) else "")


def spec_of(data: dict) -> dict:
    """Healthchecks' Spec, strictly typed, with its error texts; only the fields given."""
    spec = {}
    for field, kind, limit in FIELDS:
        if field not in data:
            continue
        value = data[field]
        if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
            raise ApiError(400, f"json validation error: {field} is not a number")
        if kind is bool and not isinstance(value, bool):
            raise ApiError(400, f"json validation error: {field} is not a boolean")
        if kind is str and not isinstance(value, str):
            raise ApiError(400, f"json validation error: {field} is not a string")
        if kind is list and not isinstance(value, list):
            raise ApiError(400, f"json validation error: {field} is not an array")
        reason = problem(value, multiline=field == "desc", name=field == "name") if kind is str else None
        if reason:  # the platform's text rules (issue 21), in Healthchecks' words
            raise ApiError(400, f"json validation error: {field}: {reason}")
        if field == "name":
            value = unicodedata.normalize("NFC", value)
        if limit and len(value) > limit:
            raise ApiError(400, f"json validation error: {field} is too long")
        if field in ("timeout", "grace") and value < 60:
            raise ApiError(400, f"json validation error: {field} is too small")
        if field in ("timeout", "grace") and value > MAX_TIMEOUT:
            raise ApiError(400, f"json validation error: {field} is too large")
        if field == "methods" and value not in ("", "POST"):
            raise ApiError(400, "json validation error: methods has unexpected value")
        if field == "slug" and not service.SLUG.match(value):
            raise ApiError(400, "json validation error: slug does not match pattern")
        if field == "unique" and any(item not in UNIQUE for item in value):
            raise ApiError(400, "json validation error: an item in 'unique' has unexpected value")
        spec[field] = value
    if "schedule" in spec:
        try:
            service.heartbeat_rules({"schedule": spec["schedule"]})
        except Invalid:
            raise ApiError(400, "json validation error: schedule is not a valid cron or OnCalendar expression") from None
    if "tz" in spec:
        try:
            service.heartbeat_rules({"tz": spec["tz"]})
        except Invalid:
            raise ApiError(400, "json validation error: tz is not a valid timezone") from None
    # Healthchecks' deprecated subject / subject_fail: keywords matched in an email's subject.
    if "subject" in spec:
        spec["success_kw"] = spec.pop("subject")
        spec["filter_subject"] = bool(spec["success_kw"] or spec.get("failure_kw"))
    if "subject_fail" in spec:
        spec["failure_kw"] = spec.pop("subject_fail")
        spec["filter_subject"] = bool(spec["failure_kw"] or spec.get("success_kw"))
    return spec


def as_check(heartbeat: dict, state: dict | None = None, *, readonly: bool = False) -> dict:
    """A heartbeat as Healthchecks' check (to_dict, v3)."""
    heartbeat = {**service.DEFAULTS, **heartbeat}
    state = storage.state(get_redis(), heartbeat["id"]) if state is None else state
    now = current_app.config["CLOCK"].now().timestamp()
    root = current_app.config["PUBLIC_URL"].rstrip("/")
    start = service.grace_start(heartbeat, state)
    result = {"name": heartbeat["name"], "slug": heartbeat["slug"], "tags": heartbeat["tags"],
              "desc": heartbeat["desc"], "grace": heartbeat["grace"], "n_pings": state.get("n_pings", 0),
              "status": service.status(heartbeat, state, now), "started": state.get("last_start") is not None,
              "last_ping": _iso(state.get("last_ping")), "next_ping": _iso(start),
              "manual_resume": heartbeat["manual_resume"], "methods": heartbeat["methods"],
              "subject": heartbeat["success_kw"] if heartbeat["filter_subject"] else "",
              "subject_fail": heartbeat["failure_kw"] if heartbeat["filter_subject"] else "",
              **{k: heartbeat[k] for k in ("start_kw", "success_kw", "failure_kw", "filter_subject", "filter_body",
                                           "filter_http_body", "filter_default_fail")}}
    if state.get("last_duration"):
        result["last_duration"] = int(state["last_duration"])
    if readonly:
        result["unique_key"] = service.unique_key(heartbeat["id"])
    else:
        update_url = f"{root}{V3}/checks/{heartbeat['id']}"
        result.update(uuid=heartbeat["id"], ping_url=f"{root}/ping/{heartbeat['id']}", update_url=update_url,
                      pause_url=update_url + "/pause", resume_url=update_url + "/resume", channels="")
    if heartbeat.get("schedule"):
        result.update(schedule=heartbeat["schedule"], tz=heartbeat["tz"])
    else:
        result["timeout"] = heartbeat["timeout"]
    return result


def _iso(ts) -> str | None:
    return datetime.fromtimestamp(float(ts), UTC).replace(microsecond=0).isoformat() if ts is not None else None


def _flows_call(function, *args, **kwargs):
    """A flow's refusal in Healthchecks' words."""
    try:
        return function(*args, **kwargs)
    except Invalid as exc:
        if not exc.details:
            raise ApiError(400, exc.message) from None
        field, problems = next(iter((exc.details or {"value": [exc.message]}).items()))
        raise ApiError(400, f"json validation error: {field} {problems[0] if problems else 'is not valid'}") from None
    except Conflict as exc:
        raise ApiError(409, exc.message) from None


def _scripts():
    return current_app.extensions["heartbeat_scripts"], current_app.extensions["heartbeat_cache"]


@bp.route(f"{V3}/checks/", methods=["GET", "POST", "OPTIONS"])
@bp.doc(summary="List checks (?tag=, repeatable; ?slug=) or create one (unique: upsert)", **DOC)
def checks():
    r = get_redis()
    if request.method == "GET":
        key, _ = authorise(write=False)
        tags, slug = set(request.args.getlist("tag")), request.args.get("slug")
        found = [h for h in storage.all_heartbeats(r) if h.get("project", "default") == key["project"]
                 and tags.issubset((h.get("tags") or "").split()) and (not slug or h.get("slug") == slug)]
        states = storage.states(r, [h["id"] for h in found])
        return answer({"checks": [as_check(h, s, readonly=key["readonly"]) for h, s in zip(found, states, strict=True)]})
    key, data = authorise(write=True)
    spec = spec_of(data)
    _flows_call(flows.refuse_channels, spec.pop("channels", None))
    unique = spec.pop("unique", None) or []
    existing = flows.unique_match(r, key["project"], spec, unique)
    scripts, cache = _scripts()
    if existing is not None:
        return answer(as_check(_flows_call(flows.update, r, scripts, existing, spec, cache=cache)), 200)
    now = current_app.config["CLOCK"].now()
    return answer(as_check(_flows_call(flows.create, r, spec, now=now, project=key["project"])), 201)


@bp.route(f"{V3}/checks/<code>", methods=["GET", "POST", "DELETE", "OPTIONS"])
@bp.doc(summary="Get (by uuid or unique_key), update or delete a check", **DOC)
def single(code):
    r = get_redis()
    if request.method == "GET":
        key, _ = authorise(write=False)
        return answer(as_check(check_of(key, code), readonly=key["readonly"]))
    key, data = authorise(write=True)
    heartbeat = check_of(key, code if service.UUID.match(code) else "")
    scripts, cache = _scripts()
    if request.method == "DELETE":
        shown = as_check(heartbeat)
        flows.delete(r, heartbeat, cache=cache)
        return answer(shown)
    spec = spec_of(data)
    _flows_call(flows.refuse_channels, spec.pop("channels", None))
    spec.pop("unique", None)
    return answer(as_check(_flows_call(flows.update, r, scripts, heartbeat, spec, cache=cache)))


@bp.route(f"{V3}/checks/<code>/pause", methods=["POST", "OPTIONS"])
@bp.doc(summary="Pause a check (a ping resumes it, unless manual_resume)", **DOC)
def pause(code):
    heartbeat = writable(code)
    flows.pause(get_redis(), _scripts()[0], heartbeat, now=current_app.config["CLOCK"].now())
    return answer(as_check(heartbeat))


@bp.route(f"{V3}/checks/<code>/resume", methods=["POST", "OPTIONS"])
@bp.doc(summary="Resume a paused check (it becomes new); 409 when it is not paused", **DOC)
def resume(code):
    heartbeat = writable(code)
    try:
        flows.resume(get_redis(), _scripts()[0], heartbeat, now=current_app.config["CLOCK"].now())
    except Conflict:
        return Response("check is not paused", status=409, content_type="text/html; charset=utf-8")
    return answer(as_check(heartbeat))


@bp.route(f"{V3}/checks/<code>/pings/", methods=["GET", "OPTIONS"])
@bp.doc(summary="The check's logged pings, newest first, with run durations", **DOC)
def pings(code):
    heartbeat = writable(code)
    root = current_app.config["PUBLIC_URL"].rstrip("/")
    shown = []
    for ping in service.with_durations(storage.pings(get_redis(), heartbeat["id"])):
        item = {"type": ping["type"], "date": ping["date"], "n": ping["n"], "scheme": ping["scheme"],
                "remote_addr": ping["remote_addr"], "method": ping["method"], "ua": ping["ua"], "rid": ping["rid"],
                "body_url": f"{root}{V3}/checks/{heartbeat['id']}/pings/{ping['n']}/body" if ping.get("body") else None}
        if "duration" in ping:
            item["duration"] = ping["duration"]
        if ping.get("exitstatus") is not None:
            item["exitstatus"] = ping["exitstatus"]
        shown.append(item)
    return answer({"pings": shown})


@bp.route(f"{V3}/checks/<code>/pings/<n>/body", methods=["GET", "OPTIONS"])
@bp.doc(summary="A logged ping's body, verbatim, in plain text", security=[],
        responses={**ANSWERS, 200: {"description": "the body", "content": {"text/plain": {"schema": {"type": "string"}}}}})
def ping_body(code, n):
    heartbeat = writable(code)
    for ping in storage.pings(get_redis(), heartbeat["id"]):
        if str(ping["n"]) == n and ping.get("body"):
            return Response(ping["body"], content_type="text/plain")
    raise ApiError(404, "not found")


@bp.route(f"{V3}/checks/<code>/flips/", methods=["GET", "OPTIONS"])
@bp.doc(summary="The check's status changes (?seconds=, ?start=, ?end= UNIX times)", **DOC)
def flips(code):
    key, _ = authorise(write=False)
    r = get_redis()
    heartbeat = check_of(key, code)
    bounds = {}
    for name, top in (("start", 10_000_000_000), ("end", 10_000_000_000), ("seconds", MAX_TIMEOUT)):
        raw = request.args.get(name)
        if raw is None or raw == "":
            continue
        try:
            bounds[name] = int(raw)
        except ValueError:
            raise ApiError(400) from None
        if not 0 <= bounds[name] <= top:
            raise ApiError(400)
    now = current_app.config["CLOCK"].now().timestamp()
    shown = []
    for flip in storage.flips(r, heartbeat["id"]):
        ts = flip["ts"]
        if ("start" in bounds and ts < bounds["start"]) or ("end" in bounds and ts >= bounds["end"]) \
                or (bounds.get("seconds") and ts < now - bounds["seconds"]):
            continue
        shown.append({"timestamp": _iso(ts), "up": 1 if flip["new"] == "up" else 0})
    return answer({"flips": shown})


@bp.route(f"{V3}/channels/", methods=["GET", "OPTIONS"])
@bp.doc(summary="Integrations: none here (notifications are comms' channels)", **DOC)
def channels():
    authorise(write=True)
    return answer({"channels": []})


@bp.route(f"{V3}/status/", methods=["GET"])
@bp.doc(summary="Healthchecks' service status: OK when storage answers", security=[],
        responses={200: {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}})
def status():
    storage.ready(get_redis())
    return Response("OK", content_type="text/plain")
