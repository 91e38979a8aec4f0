"""A private status page (PAGE_VISIBILITY): the gate in front of the public page, its API,
feeds and badges, and the page where a visitor types the page's password or is sent to sign in.

Every private answer says ``Cache-Control: private, no-store`` and ``X-Accel-Expires: 0`` (the
edge, which ignores Cache-Control on its micro-cached paths, honours that one): no shared cache
keeps a private copy, so none can hand it to someone else. The gate runs before any view, so
the frontend's own page cache never answers a visitor who may not see the page.
"""
from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote, urlencode

from apiflask import APIBlueprint
from flask import current_app, g, redirect, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from polystatus import errors, ratelimits
from polystatus.auth import caller_address, current_identity, require_role
from polystatus.redis_store import get_redis

from ..page.views import shell
from . import service

bp = APIBlueprint("access", __name__, tag="Private page")
COOKIE = "polystatus_page"
PRIVATE_CACHE = "private, no-store"
HTML = {200: {"description": "a page", "content": {"text/html": {"schema": {"type": "string"}}}}}


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["PAGE_COOKIE_SECRET"], salt="polystatus-page-access")


def _password_mark() -> str:
    # Changing PAGE_PASSWORD ends every cookie the old one opened.
    return hashlib.sha256(current_app.config["PAGE_PASSWORD"].encode()).hexdigest()[:16]


def _cookie() -> dict:
    raw = request.cookies.get(COOKIE)
    if not raw or not current_app.config["PAGE_COOKIE_SECRET"]:
        return {}
    try:
        value = _signer().loads(raw, max_age=current_app.config["PAGE_COOKIE_TTL"])
    except BadSignature:
        return {}
    return value if isinstance(value, dict) else {}


def visitor() -> service.Visitor:
    role = email = None
    try:
        identity = current_identity()
    except errors.ServiceError:
        identity = None  # a stale token on a page: treated as no token
    if identity is not None:
        role, email = identity.role, identity.email
    cookie = _cookie()
    if role is None and cookie.get("kind") == "session":
        role, email = cookie.get("role"), cookie.get("email")
    password = cookie.get("kind") == "password" and hmac.compare_digest(str(cookie.get("mark", "")), _password_mark())
    token = request.args.get("token", "")
    read_token = bool(token) and service.token_may_read(request.path) and \
        current_app.extensions["read_tokens"].valid(token)
    return service.Visitor(address=caller_address(), role=role, email=email, password_cookie=password,
                           read_token=read_token)


def _wants_html() -> bool:
    return request.method in ("GET", "HEAD") and not request.path.startswith("/api/") \
        and not request.path.endswith((".rss", ".atom", ".svg", ".json"))


def gate():
    """before_request: refuse what this visitor may not see, before any view or cache is asked."""
    config = current_app.config
    if config["PAGE_VISIBILITY"] == "public" or not service.is_private_path(request.path) \
            or request.method == "OPTIONS":
        return None
    g.page_private = True
    if service.allowed(visibility=config["PAGE_VISIBILITY"], visitor=visitor(), path=request.path,
                       domains=config["PAGE_ALLOWED_DOMAINS"], networks=config["PAGE_ALLOWED_IPS"]):
        return None
    if _wants_html():
        # Back to where the visitor was going, without a refused ?token= (never echoed into a URL).
        kept = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "token"])
        target = request.path + (f"?{kept}" if kept else "")
        return redirect(f"/page-access?next={quote(target, safe='/')}", 303)
    raise errors.Unauthorized("This status page is private: sign in, or use a read token (?token=).",
                              code="page_private")


def private_headers(response):
    """after_request: a private page's answers are for this visitor only."""
    if g.get("page_private") or (request.path.startswith("/page-access")
                                 and current_app.config["PAGE_VISIBILITY"] != "public"):
        response.headers["Cache-Control"] = PRIVATE_CACHE
        response.headers["X-Accel-Expires"] = "0"
        response.vary.add("Cookie")
    return response


def _next() -> str:
    target = request.values.get("next", "/")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@bp.get("/page-access")
@bp.doc(summary="A private page's door: its password form, or a link to sign in",
        responses={**HTML, 303: {"description": "the page is public: straight to `next`"},
                   403: {"description": "the page is seen from allowed networks only"}})
def access_page():
    config = current_app.config
    if config["PAGE_VISIBILITY"] == "public":
        return redirect(_next(), 303)  # nothing to open
    status = 403 if config["PAGE_VISIBILITY"] == "ip" else 200
    response = shell("page-access", template="public/access.html", visibility=config["PAGE_VISIBILITY"],
                     next=_next(), wrong=request.args.get("wrong") == "1")
    response.status_code = status
    return response


@bp.post("/page-access")
@bp.doc(summary="Type the private page's password: a signed cookie opens the page",
        responses={303: {"description": "to `next` with the cookie, or back to the form"},
                   429: {"description": "too many attempts from this address"}})
def access_password():
    config = current_app.config
    if config["PAGE_VISIBILITY"] != "password":
        return redirect("/", 303)
    ratelimits.enforce(get_redis(), f"page-password:{caller_address()}", config["PAGE_PASSWORD_TRIES"], 300,
                       what="password attempts", now=config["CLOCK"].now().timestamp())
    typed = (request.form.get("password") or "")[:1024]
    if not hmac.compare_digest(typed.encode(), config["PAGE_PASSWORD"].encode()):
        return redirect(f"/page-access?wrong=1&next={quote(_next())}", 303)
    response = redirect(_next(), 303)
    _set_cookie(response, {"kind": "password", "mark": _password_mark()})
    return response


@bp.post("/page-access/session")
@bp.doc(summary="After signing in: a cookie that lets the browser see a page visible to signed-in people",
        responses={204: {"description": "cookie set (or nothing needed)"}, 401: {"description": "no valid bearer token"}})
# A person's sign-in only: an API key is for scripts, which read with ?token= read tokens instead.
@require_role("user", api_keys=False)
def access_session():
    config = current_app.config
    identity = current_identity()
    response = current_app.response_class(status=204)
    if config["PAGE_VISIBILITY"] in ("signed_in", "domain"):
        _set_cookie(response, {"kind": "session", "role": identity.role, "email": identity.email, "sub": identity.sub})
    return response


@bp.delete("/page-access/session")
@bp.doc(summary="Signing out: the page's cookie is dropped", responses={204: {"description": "done"}})
def end_session():
    response = current_app.response_class(status=204)
    response.delete_cookie(COOKIE, path="/")
    return response


def _set_cookie(response, value: dict) -> None:
    response.set_cookie(COOKIE, _signer().dumps(value), max_age=current_app.config["PAGE_COOKIE_TTL"], path="/",
                        httponly=True, samesite="Lax", secure=request.is_secure)


def init_app(app) -> None:
    from .tokens import ReadTokens

    app.extensions["read_tokens"] = ReadTokens(
        app.config["BACKENDS"]["users"], app.config["SERVICE_CLIENT_ID"], app.config["SERVICE_CLIENT_SECRET"] or "",
        http=app.extensions["backend_http"], timeout=app.config["BACKEND_TIMEOUT"])
    app.before_request(gate)
    app.after_request(private_headers)
    app.register_blueprint(bp)
