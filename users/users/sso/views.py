"""Single sign-on (OpenID Connect): what the sign-in page offers, the start (a redirect to the
provider) and the callback (the provider's redirect back).

Both steps are browser navigations through the public origin (the frontend's /api/users/
proxy, or the edge), so they answer with redirects: to the provider, then to the sign-in page
(``/login?sso=done&next=...``, where the page takes the session from the cookie set here, or
``/login?sso_error=<code>`` with a refusal the page puts in words).
"""
from __future__ import annotations

from urllib.parse import urlencode

from apiflask import APIBlueprint
from flask import current_app, redirect, request
from polystatus import audit
from polystatus.auth import caller_address, current_identity, require_role
from polystatus.errors import NotFound, ServiceError
from polystatus.redis_store import get_redis

from ..accounts import flows as accounts_flows
from ..auth import cookies
from ..auth import flows as auth_flows
from ..auth.views import ring
from . import flows, schemas
from .provider import Provider

bp = APIBlueprint("sso", __name__, tag="Single sign-on")
BINDING_COOKIE = "polystatus_sso"
REDIRECT = {302: "To the provider, or back to the sign-in page (``sso=done`` or ``sso_error=<code>``)"}


def configured() -> bool:
    return bool(current_app.config.get("OIDC_DISCOVERY_URL"))


def provider() -> Provider:
    return Provider.of(current_app)


def binding_path() -> str:
    return current_app.config["SESSION_COOKIE_PATH"].rstrip("/") + "/oidc"


def to_login(**params) -> object:
    """Back to the sign-in page of the public origin (a relative URL: the browser resolves it
    against the origin it reached us through)."""
    response = redirect("/login?" + urlencode({k: v for k, v in params.items() if v}), code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/auth/oidc")
@bp.output(schemas.SsoOut)
@bp.doc(summary="Whether single sign-on is offered, and the name its button shows")
def sso_info():
    if not configured():
        return {"enabled": False, "name": "", "start_url": ""}
    return {"enabled": True, "name": current_app.config["OIDC_DISPLAY_NAME"],
            "start_url": "/api/users/auth/oidc/start"}


@bp.get("/auth/oidc/account")
@bp.output(schemas.SignInMethodsOut)
@bp.doc(summary="How the signed-in account signs in: its single sign-on link (the provider's name, since when) "
                "and whether it has a password")
@require_role("user")
def sso_account():
    r = get_redis()
    return flows.sign_in_methods(r, current_app.config, user=accounts_flows.signed_in(r, current_identity().sub))


@bp.get("/auth/oidc/start")
@bp.input(schemas.StartIn, location="query")
@bp.doc(summary="Start a single sign-on: a redirect to the identity provider (authorization code + PKCE)",
        responses={**REDIRECT, 404: "Single sign-on is not configured"})
def sso_start(query_data):
    if not configured():
        raise NotFound("Single sign-on is not configured.", code="sso_off")
    config = current_app.config
    try:
        url, binding = flows.start(get_redis(), config, provider(), address=caller_address(), next_path=query_data["next"],
                                   now=config["CLOCK"].now().timestamp())
    except ServiceError as error:
        return to_login(sso_error=error.code, next=query_data["next"])
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "no-store"
    # The other half of the state: the callback must come back to the browser that started it.
    # SameSite=Lax, not Strict: the provider's redirect back is a cross-site navigation, on
    # which browsers send Lax cookies and withhold Strict ones.
    response.set_cookie(BINDING_COOKIE, binding, max_age=600, path=binding_path(), httponly=True,
                        secure=config["SESSION_COOKIE_SECURE"], samesite="Lax")
    return response


@bp.get("/auth/oidc/callback")
@audit.write_by_get("a single sign-on ends with the provider's redirect, a GET")
@bp.input(schemas.CallbackIn, location="query")
@bp.doc(summary="The identity provider's redirect back: the account is linked by verified email, its role "
                "mapped from the claims, and the browser signed in (the session cookie, as a password sign-in)",
        responses={**REDIRECT, 404: "Single sign-on is not configured"})
def sso_callback(query_data):
    if not configured():
        raise NotFound("Single sign-on is not configured.", code="sso_off")
    config, r = current_app.config, get_redis()
    next_path = None
    try:
        auth_flows.limit_attempt(r, config, address=caller_address(), now=config["CLOCK"].now().timestamp())
        record = flows.pending(r, state=query_data.get("state"), binding=request.cookies.get(BINDING_COOKIE))
        next_path = record["next"]
        if query_data.get("error") or not query_data.get("code"):
            # access_denied: the person said no, or the provider refused them
            code = "sso_denied" if query_data.get("error") == "access_denied" else "sso_failed"
            return clear_binding(to_login(sso_error=code, next=next_path))
        user, tokens = flows.finish(r, config, ring(), provider(), record=record, code=query_data["code"],
                                    now=config["CLOCK"].now())
    except ServiceError as error:
        current_app.logger.info("single sign-on refused: %s", error.code)
        return clear_binding(to_login(sso_error=error.code, next=next_path))
    cookies.set_on_response(tokens["refresh_token"])
    return clear_binding(to_login(sso="done", next=next_path))


def clear_binding(response):
    response.delete_cookie(BINDING_COOKIE, path=binding_path(), httponly=True,
                           secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")
    return response
