"""A private status page, on the services' own ports (PAGE_VISIBILITY; the frontend holds the
page's own gate, frontend/access).

The documents the public page is made of are also served by their services: incidents'
Statuspage API and feeds, csp-status's badges (and the edge micro-caches them on the services'
ports). When the page is private, these answer only a caller with a valid token (any role: the
frontend asks with its service token, a script with a person's), and say
``Cache-Control: private, no-store`` and ``X-Accel-Expires: 0`` so that no shared cache keeps
them. The finer modes (a domain, a network, a password, read tokens) are the frontend's: on
the public origin, where people and dashboards come.
"""
from __future__ import annotations

import re

from flask import current_app, g, request

from .auth import current_identity
from .errors import Unauthorized

VISIBILITIES = ("public", "signed_in", "domain", "ip", "password")


def is_private(config) -> bool:
    return config.get("PAGE_VISIBILITY", "public") != "public"


def init_app(app, *, paths: str) -> None:
    """Guard the GET routes whose path matches ``paths`` (a regular expression)."""
    pattern = re.compile(paths)

    @app.before_request
    def _private_page_reads():
        if not is_private(current_app.config) or request.method not in ("GET", "HEAD") \
                or not pattern.match(request.path):
            return None
        g.private_page_read = True
        if current_identity() is None:
            raise Unauthorized("This status page is private: its documents need a token.", code="page_private",
                               headers={"WWW-Authenticate": 'Bearer realm="polystatus"'})
        return None

    @app.after_request
    def _private_cache_headers(response):
        if g.get("private_page_read"):
            response.headers["Cache-Control"] = "private, no-store"
            response.headers["X-Accel-Expires"] = "0"
        return response
