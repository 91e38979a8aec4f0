"""One origin for the browser: the Statuspage API and feeds (cached), and a thin proxy to the
services for reports, sign-in and the console (the caller's own token is passed through)."""
from __future__ import annotations

import json

import httpx
from apiflask import APIBlueprint
from flask import Response, current_app, request
from polystatus import errors
from polystatus.logs import current_request_id

from ..page.views import conditional

bp = APIBlueprint("proxy", __name__, tag="Proxy")
SERVICES = ("incidents", "users", "comms", "csp-status", "feature-flags")
PASS_HEADERS = ("Authorization", "Content-Type", "If-None-Match", "X-API-Key")
ANY = {200: {"description": "the service's answer", "content": {"application/json": {"schema": {}}}},
       502: {"description": "backend unreachable", "content": {"application/json": {"schema": {"type": "object"}}}}}


def forward(service: str, path: str) -> Response:
    base = current_app.config["BACKENDS"][service]
    headers = {name: request.headers[name] for name in PASS_HEADERS if name in request.headers}
    # We are the proxy the services trust: we say who the caller is, and never pass on what the
    # caller claims (a forged X-Forwarded-For stops here).
    headers["X-Forwarded-For"] = request.remote_addr or ""
    if current_request_id():
        headers["X-Request-ID"] = current_request_id()
    try:
        upstream = current_app.extensions["backend_http"].request(
            request.method, f"{base}/{path}", params=request.args, content=request.get_data() or None, headers=headers)
    except httpx.HTTPError as exc:
        body = errors.body(502, f"The {service} service is unreachable right now.", details={"reason": type(exc).__name__})
        return current_app.response_class(json.dumps(body), status=502, content_type="application/json")
    keep = {k: v for k, v in upstream.headers.items() if k.lower() in ("content-type", "etag", "retry-after", "location")}
    return Response(upstream.content, status=upstream.status_code, headers=keep)


@bp.route("/api/<service>/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.doc(summary="Pass a call to a service (incidents, users, comms, csp-status, feature-flags)", responses=ANY)
def proxy(service, path):
    if service not in SERVICES:
        raise errors.NotFound("No such service.")
    return forward(service, path)


def passthrough(path: str):
    http = current_app.extensions["backend_http"]
    base = current_app.config["BACKENDS"]["incidents"]

    def produce():
        response = http.get(f"{base}/{path}")
        response.raise_for_status()
        return {"content_type": response.headers.get("content-type", "application/json"), "text": response.text}

    try:
        entry, age = current_app.extensions["page_cache"].entry(f"pass:{path}", produce)
    except httpx.HTTPError:
        raise errors.Unavailable("The incidents service is unreachable and nothing is cached yet.") from None
    return conditional(entry, age, lambda value: (value["text"], value["content_type"]))


@bp.get("/api/v2/<path:path>")
@bp.doc(summary="The Statuspage v2 API, passed through from incidents and cached",
        responses={200: {"description": "Statuspage document", "content": {"application/json": {"schema": {"type": "object"}}}},
                   304: {"description": "not modified"}, 503: {"description": "incidents unreachable, nothing cached"}})
def statuspage(path):
    if not path.endswith(".json"):
        raise errors.NotFound("No such document.")
    return passthrough(f"api/v2/{path}")


FEED = {200: {"description": "feed", "content": {"application/rss+xml": {"schema": {"type": "string"}},
                                                 "application/atom+xml": {"schema": {"type": "string"}}}},
        503: {"description": "incidents unreachable, nothing cached"}}


@bp.get("/history.rss")
@bp.doc(summary="Incident history (RSS)", responses=FEED)
def rss():
    return passthrough("history.rss")


@bp.get("/history.atom")
@bp.doc(summary="Incident history (Atom)", responses=FEED)
def atom():
    return passthrough("history.atom")
