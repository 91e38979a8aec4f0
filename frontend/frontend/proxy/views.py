"""One origin for the browser: the Statuspage API and feeds (cached), and a thin proxy to the
services for reports, sign-in and the console (the caller's own token is passed through)."""
from __future__ import annotations

import json
import re

import httpx
from apiflask import APIBlueprint
from flask import Response, current_app, request
from polystatus import errors, ratelimits
from polystatus.logs import current_request_id
from polystatus.text import clean_json_text

from ..page.views import conditional, private_reads

bp = APIBlueprint("proxy", __name__, tag="Proxy")
SERVICES = ("incidents", "users", "comms", "csp-status", "feature-flags")
BADGE = re.compile(r"checks/[^/]+/badge\.svg$")
PASS_HEADERS = ("Authorization", "Content-Type", "If-None-Match", "X-API-Key")
# The browser's session cookie belongs to users alone (its Path keeps it to /api/users/auth):
# only users gets it, with the Origin and Referer it checks against CSRF, and only users may set
# it on the public origin.
SESSION_HEADERS = ("Cookie", "Origin", "Referer")
ANY = {200: {"description": "the service's answer", "content": {"application/json": {"schema": {}}}},
       502: {"description": "backend unreachable", "content": {"application/json": {"schema": {"type": "object"}}}}}


def forward(service: str, path: str) -> Response:
    base = current_app.config["BACKENDS"][service]
    passed = PASS_HEADERS + SESSION_HEADERS if service == "users" else PASS_HEADERS
    headers = {name: request.headers[name] for name in passed if name in request.headers}
    if service == "csp-status" and request.method == "GET" and BADGE.match(path) and "Authorization" not in headers:
        # A private page's badge: the visitor passed the frontend's gate; csp-status wants a token.
        try:
            headers.update(private_reads(current_app.config)())
        except httpx.HTTPError:
            pass  # no service token now: csp-status refuses, and says so
    # We are the proxy the services trust: we say who the caller is, and never pass on what the
    # caller claims (a forged X-Forwarded-For stops here). Behind the edge (a trusted proxy
    # itself), the caller is the address the edge saw.
    headers["X-Forwarded-For"] = ratelimits.client_address(
        request.remote_addr, request.headers.get("X-Forwarded-For"), current_app.config["TRUSTED_PROXIES"])
    if current_request_id():
        headers["X-Request-ID"] = current_request_id()
    try:
        # Sign-in, sign-up and password changes hash a password (argon2: deliberately slow, and
        # slower on a busy machine); they get their own, longer timeout.
        slow = service == "users" and path.startswith(("auth/", "users/"))
        # every value of a repeated parameter (?user_id=a&user_id=b), not only the first
        params = list(request.args.items(multi=True))
        upstream = current_app.extensions["backend_http"].request(
            request.method, f"{base}/{path}", params=params, content=request.get_data() or None, headers=headers,
            timeout=current_app.config["PASSWORD_BACKEND_TIMEOUT"] if slow else current_app.config["BACKEND_TIMEOUT"])
    except httpx.HTTPError as exc:
        body = errors.body(502, f"The {service} service is unreachable right now.", details={"reason": type(exc).__name__})
        return current_app.response_class(json.dumps(body), status=502, content_type="application/json")
    kept = ("content-type", "etag", "retry-after", "location", "cache-control")
    keep = [(k, v) for k, v in upstream.headers.multi_items() if k.lower() in kept]
    if service == "users":
        keep += [("Set-Cookie", v) for v in upstream.headers.get_list("set-cookie")]
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
    auth = private_reads(current_app.config)

    def produce():
        response = http.get(f"{base}/{path}", headers=auth())
        response.raise_for_status()
        content_type = response.headers.get("content-type", "application/json")
        # The Statuspage documents are cleaned again here (issue 21: any backend, any age of its
        # data), at no cost when they hold nothing to clean; the feeds pass byte for byte.
        body = clean_json_text(response.text) if content_type.startswith("application/json") else response.text
        return {"content_type": content_type, "text": body}

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
