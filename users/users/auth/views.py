"""Login, refresh with rotation and reuse detection, logout, service tokens, JWKS."""
from __future__ import annotations

import hmac
import time

from apiflask import APIBlueprint
from flask import current_app, request
from polystatus import audit
from polystatus.auth import caller_address, current_identity, require_role
from polystatus.errors import Unauthorized
from polystatus.redis_store import get_redis

from ..accounts import flows as accounts_flows
from ..accounts import service as accounts_service
from ..accounts.schemas import UserOut
from ..sso import flows as sso_flows
from ..sso.provider import Provider
from . import cookies, flows, schemas, service

bp = APIBlueprint("auth", __name__, tag="Authentication")

def ring():
    return current_app.extensions["key_ring"]


def now_ts() -> float:
    return current_app.config["CLOCK"].now().timestamp()


def answer_tokens(tokens: dict, json_data: dict) -> dict:
    """A browser asks for ``"session": "cookie"``: its refresh token goes into the HttpOnly
    cookie and never into the body, where page scripts could read it."""
    if json_data.get("session") == "cookie":
        cookies.set_on_response(tokens["refresh_token"])
        return {key: value for key, value in tokens.items() if key != "refresh_token"}
    return tokens


@bp.post("/auth/login")
@bp.input(schemas.LoginIn)
@bp.output(schemas.TokenOut)
@bp.doc(summary="Sign in with email and password; with two-factor sign-in on, the answer is a challenge "
                "(mfa_required, mfa_token) for POST /auth/login/totp instead of tokens",
        responses={401: "Wrong email or password", 403: "This account signs in with SSO only (sso_required)",
                   429: "Too many attempts"})
def login(json_data):
    config = current_app.config
    address = caller_address()
    answer = flows.sign_in(get_redis(), config, ring(), email=json_data["email"], password=json_data["password"],
                           address=address, session=json_data.get("session", "body"), now=now_ts())
    if answer.get("mfa_required"):
        return answer
    return answer_tokens(answer, json_data)


@bp.post("/auth/refresh")
@audit.exempt("a browser renews its access token every few minutes")
@bp.input(schemas.RefreshIn)
@bp.output(schemas.TokenOut)
@bp.doc(summary="Exchange a refresh token (body, or the session cookie) for new tokens "
                "(rotation; reuse after a few seconds revokes the session)",
        responses={401: "Unknown, expired, revoked or reused refresh token", 403: "Cookie sent from another origin"})
def refresh(json_data):
    from_cookie = "refresh_token" not in json_data
    token = json_data.get("refresh_token") or cookies.token_from_cookie()
    if not token:
        raise Unauthorized("No refresh token: sign in.", code="refresh_invalid")
    try:
        tokens = flows.refresh(get_redis(), current_app.config, ring(), token, now=now_ts())
    except Unauthorized:
        if from_cookie:
            cookies.clear_on_response()
        raise
    return answer_tokens(tokens, {"session": "cookie"} if from_cookie else json_data)


@bp.post("/auth/logout")
@bp.input(schemas.LogoutIn)
@bp.output(schemas.LogoutOut)
@bp.doc(summary="Revoke the session of a refresh token (body, or the session cookie); for a session single "
                "sign-on started, the provider's end-session URL to sign out there too",
        responses={200: "Signed out here; the browser goes to ``logout_url`` to sign out of the identity provider",
                   204: "Signed out", 403: "Cookie sent from another origin"})
def logout(json_data):
    config = current_app.config
    token = json_data.get("refresh_token") or cookies.token_from_cookie()
    id_token = flows.sign_out(get_redis(), config, token, now=now_ts()) if token else None
    cookies.clear_on_response()
    # the provider is asked only after the session is gone here, and a provider that cannot
    # be reached leaves just that: the sign-out here
    url = sso_flows.logout_url(config, Provider.of(current_app), id_token=id_token)
    if url is None:
        return current_app.response_class(status=204)
    return {"logout_url": url}, 200, {"Cache-Control": "no-store"}  # it carries the ID token


@bp.post("/auth/logout-everywhere")
@bp.output(schemas.SignedOutOut)
@bp.doc(summary="Sign out everywhere: revoke every session of the signed-in account",
        responses={403: "Cookie sent from another origin"})
@require_role("user")
def logout_everywhere():
    if request.cookies.get(cookies.NAME):
        cookies.check_origin()
    revoked = flows.sign_out_everywhere(get_redis(), current_identity().sub)
    cookies.clear_on_response()
    return {"revoked": revoked}


@bp.get("/auth/me")
@bp.output(UserOut)
@bp.doc(summary="The signed-in account")
@require_role("user")
def me():
    return accounts_service.public_view(accounts_flows.signed_in(get_redis(), current_identity().sub))


@bp.post("/auth/token")
@audit.exempt("every service exchanges its client credentials for a token")
@bp.input(schemas.ClientCredentialsIn)
@bp.output(schemas.ServiceTokenOut)
@bp.doc(summary="Service token (OAuth2 client credentials) for another PolyStatus service",
        responses={401: "Unknown client or wrong secret"})
def service_token(json_data):
    expected = current_app.config["SERVICE_CLIENTS"].get(json_data["client_id"])
    # as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so a 500)
    if expected is None or not hmac.compare_digest(expected.encode(), json_data["client_secret"].encode()):
        raise Unauthorized("Unknown client or wrong secret.", code="invalid_client")
    config = current_app.config
    claims = service.service_claims(json_data["client_id"], issuer=config["JWT_ISSUER"], now=time.time(),
                                    ttl_s=config["SERVICE_TOKEN_TTL"])
    return {"access_token": ring().sign(claims), "token_type": "Bearer", "expires_in": config["SERVICE_TOKEN_TTL"]}


@bp.get("/.well-known/jwks.json")
@bp.output(schemas.JWKSOut)
@bp.doc(summary="Public keys verifying access tokens (JWKS)")
def jwks():
    return ring().jwks()


@bp.post("/auth/keys/rotate")
@bp.output(schemas.RotateOut)
@bp.doc(summary="Start signing with a new key; the old one verifies until its tokens expire (admin)")
@require_role("admin")
def rotate():
    return {"kid": ring().rotate()}
