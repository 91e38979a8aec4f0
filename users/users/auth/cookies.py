"""The browser's session: a refresh token in an HttpOnly cookie on the public origin.

Why users sets the cookie itself: it owns sessions (rotation, reuse detection, revocation), and
the browser reaches it through the public origin (the frontend's ``/api/users/`` proxy today, an
nginx edge later), which passes ``Set-Cookie`` back and ``Cookie`` on; a cookie without a Domain
attribute then belongs to that public host, and its Path keeps it off every other route.

CSRF: the cookie is only ever read by the session routes (refresh, sign out, sign out
everywhere); every other write needs the bearer access token that the page keeps in memory,
which a forged cross-site request cannot carry. Those cookie routes are protected twice:
SameSite=Strict (browsers do not send the cookie on cross-site requests at all) and an Origin
check (the request's ``Origin``, or ``Referer`` when a browser sends no Origin, must be the
public origin or one of ``CORS_ORIGINS``; a request with neither is refused).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import after_this_request, current_app, request
from polystatus.errors import Forbidden

NAME = "polystatus_refresh"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def allowed_origins(config: dict) -> set[str]:
    return {_origin(config["PUBLIC_URL"]), *(_origin(o) for o in config.get("CORS_ORIGINS", []))} - {""}


def check_origin() -> None:
    """Refuse a cookie-authenticated write that does not come from our own pages."""
    claimed = request.headers.get("Origin") or _origin(request.headers.get("Referer", ""))
    if not claimed or claimed not in allowed_origins(current_app.config):
        raise Forbidden("This request did not come from the status page's origin.", code="csrf",
                        details={"origin": claimed or None})


def token_from_cookie() -> str | None:
    """The refresh token of the browser's session; reading it means a cookie-authenticated
    request, so the Origin check is made here, once, for every caller."""
    token = request.cookies.get(NAME)
    if token:
        check_origin()
    return token


def _cookie_args(config: dict) -> dict:
    return {"path": config["SESSION_COOKIE_PATH"], "secure": config["SESSION_COOKIE_SECURE"],
            "httponly": True, "samesite": "Strict"}


def set_on_response(refresh_token: str) -> None:
    config = current_app.config

    @after_this_request
    def _set(response):
        response.set_cookie(NAME, refresh_token, max_age=config["REFRESH_TOKEN_TTL"], **_cookie_args(config))
        response.headers["Cache-Control"] = "no-store"
        return response


def clear_on_response() -> None:
    config = current_app.config

    @after_this_request
    def _clear(response):
        response.delete_cookie(NAME, **_cookie_args(config))
        return response
