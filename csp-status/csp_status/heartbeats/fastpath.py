"""Healthchecks pings (``/ping/<uuid>[/<kind>]``, ``/ping/<ping-key>/<slug>[/<kind>]``, GET
and POST) on the fast transport (polystatus.fastpath): cron jobs everywhere ping every minute.
The same flow as the Flask routes (heartbeats.flows.take_ping) gives the same answers; HEAD,
chunked or oversized bodies go to Flask.

A ping is a write (GET included): once the handler has run, a failure is answered as an error by
polystatus.fastpath and never handed to Flask, which would record the ping a second time."""
from __future__ import annotations

from urllib.parse import parse_qs

from . import flows


def install(fast, app) -> None:
    r, config = app.extensions["redis"], app.config
    scripts, cache = app.extensions["heartbeat_scripts"], app.extensions["heartbeat_cache"]

    def ping(request):
        method = request.environ["REQUEST_METHOD"]
        body = request.body() if method == "POST" else b""
        if body is None:
            return None
        query = parse_qs(request.environ.get("QUERY_STRING", "")) if request.environ.get("QUERY_STRING") else {}
        ping_request = flows.PingRequest(
            path=request.path, method=method, rid=query.get("rid", [None])[0], create=query.get("create", [None])[0],
            remote_addr=request.remote_addr, forwarded_for=request.header("X-Forwarded-For"),
            scheme=request.header("X-Forwarded-Proto") or "http", user_agent=request.header("User-Agent") or "",
            read_body=lambda: body)
        status, text = flows.take_ping(r, scripts, config, cache, ping_request)
        return status, flows.ping_headers(config, config["CLOCK"].now().timestamp()), text.encode()

    for endpoint in ("ping_success", "ping_kind", "ping_slug_kind", "ping_trailing_slash"):
        fast.add(f"heartbeats.{endpoint}", ping, access="secret-url", writes=True)
