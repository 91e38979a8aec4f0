"""Heartbeat pings (``/ping/<uuid>[/<kind>]``, GET and POST) on the fast transport
(polystatus.fastpath): cron jobs everywhere ping every minute. Same rules as the Flask routes
(heartbeats.flows.take_ping); HEAD and anything odd go to Flask."""
from __future__ import annotations

from urllib.parse import parse_qs

from polystatus.errors import ServiceError

from . import flows

PREFIX = "/ping/"
OK = (200, [("Content-Type", "text/plain")], b"OK")


def install(fast, app) -> None:
    r, config = app.extensions["redis"], app.config

    def ping(request):
        parts = request.path[len(PREFIX):].split("/")
        if len(parts) > 2 or not parts[0]:
            return None
        body = request.body() if request.environ["REQUEST_METHOD"] == "POST" else b""
        if body is None:
            return None
        rid = parse_qs(request.environ.get("QUERY_STRING", "")).get("rid", [None])[0]
        try:
            flows.take_ping(r, config, parts[0], parts[1] if len(parts) == 2 else None,
                            method=request.environ["REQUEST_METHOD"], remote_addr=request.remote_addr,
                            forwarded_for=request.header("X-Forwarded-For"), read_body=lambda: body, rid=rid)
        except ServiceError as exc:
            return request.error(exc)
        return OK

    for method in ("GET", "POST"):
        fast.add(method, PREFIX, ping, label="/ping/<heartbeat_id>", prefix=True)
