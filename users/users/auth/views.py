"""Login, refresh with rotation and reuse detection, logout, service tokens, JWKS."""
from __future__ import annotations

import hmac
import secrets
import time
import uuid

from apiflask import APIBlueprint
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask import current_app, request
from polystatus import ratelimits
from polystatus.auth import current_identity, require_role
from polystatus.errors import RateLimited, Unauthorized
from polystatus.redis_store import get_redis

from ..accounts import service as accounts_service
from ..accounts import storage as accounts_storage
from ..accounts.schemas import UserOut
from ..accounts.views import hasher
from . import schemas, service, storage

bp = APIBlueprint("auth", __name__, tag="Authentication")

# Verifying against a fixed hash when the email is unknown keeps the answer time the same,
# so timing does not tell whether an account exists.
_DUMMY_HASH = hasher.hash("not-a-real-password-just-for-timing")


def ring():
    return current_app.extensions["key_ring"]


def issue_tokens(user: dict, family: str | None = None) -> dict:
    config = current_app.config
    claims = service.access_claims(user, issuer=config["JWT_ISSUER"], now=time.time(),
                                   ttl_s=config["ACCESS_TOKEN_TTL"])
    refresh = secrets.token_urlsafe(32)
    storage.store_refresh(get_redis(), refresh, user_id=user["id"], family=family or uuid.uuid4().hex,
                          ttl_s=config["REFRESH_TOKEN_TTL"])
    return {"access_token": ring().sign(claims), "refresh_token": refresh, "token_type": "Bearer",
            "expires_in": config["ACCESS_TOKEN_TTL"]}


@bp.post("/auth/login")
@bp.input(schemas.LoginIn)
@bp.output(schemas.TokenOut)
@bp.doc(summary="Sign in with email and password", responses={401: "Wrong email or password", 429: "Too many attempts"})
def login(json_data):
    r = get_redis()
    config = current_app.config
    address = ratelimits.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                        config["TRUSTED_PROXIES"])
    email = json_data["email"].strip().lower()
    # Per address: every attempt counts (stops one client hammering many accounts).
    ratelimits.enforce(r, f"login-addr:{address}", config["LOGIN_LIMIT_PER_ADDRESS"], 60, what="sign-in attempts",
                       now=config["CLOCK"].now().timestamp())
    # Per account: only failures count, over 15 minutes. Trade-off: someone can keep an account
    # limited by failing on purpose, but only for 15 minutes at a time and without learning
    # anything; the alternative (no per-account limit) lets a botnet guess passwords freely.
    failures_key = f"login-fail:{email}"
    failures = int(r.get(failures_key) or 0)
    if failures >= config["LOGIN_LIMIT_PER_ACCOUNT"]:
        retry = max(1, r.ttl(failures_key))
        raise RateLimited(f"Too many failed sign-ins for this account; try again in {retry} s.", retry_after=retry)
    user_id = accounts_storage.id_for_email(r, email)
    user = accounts_storage.get(r, user_id) if user_id else None
    try:
        hasher.verify(user["password_hash"] if user else _DUMMY_HASH, json_data["password"])
        if user is None:
            raise VerifyMismatchError
    except (VerifyMismatchError, InvalidHashError):
        pipe = r.pipeline(transaction=False)
        pipe.incr(failures_key)
        pipe.expire(failures_key, 900, nx=True)
        pipe.execute()
        raise Unauthorized("Wrong email or password.", code="invalid_credentials") from None
    r.delete(failures_key)
    if hasher.check_needs_rehash(user["password_hash"]):
        accounts_storage.set_password_hash(r, user["id"], hasher.hash(json_data["password"]))
    return issue_tokens(user)


@bp.post("/auth/refresh")
@bp.input(schemas.RefreshIn)
@bp.output(schemas.TokenOut)
@bp.doc(summary="Exchange a refresh token for new tokens (rotation; reuse revokes the family)",
        responses={401: "Unknown, expired, revoked or reused refresh token"})
def refresh(json_data):
    r = get_redis()
    record, uses = storage.use_refresh(r, json_data["refresh_token"])
    if record is None:
        raise Unauthorized("The refresh token is not valid.", code="refresh_invalid")
    if uses > 1:
        # Someone replays a token that was already exchanged: it was stolen, or a client is
        # broken. Either way, every token of this sign-in is revoked.
        storage.revoke_family(r, record["family"])
        raise Unauthorized("This refresh token was already used; the session has been revoked.",
                           code="refresh_reused")
    user = accounts_storage.get(r, record["user_id"])
    if user is None:
        storage.revoke_family(r, record["family"])
        raise Unauthorized("The account no longer exists.", code="refresh_invalid")
    return issue_tokens(user, family=record["family"])


@bp.post("/auth/logout")
@bp.input(schemas.RefreshIn)
@bp.output({}, status_code=204)
@bp.doc(summary="Revoke the session of a refresh token")
def logout(json_data):
    r = get_redis()
    record, _ = storage.use_refresh(r, json_data["refresh_token"])
    if record is not None:
        storage.revoke_family(r, record["family"])
    return ""


@bp.get("/auth/me")
@bp.output(UserOut)
@bp.doc(summary="The signed-in account")
@require_role("user")
def me():
    user = accounts_storage.get(get_redis(), current_identity().sub)
    if user is None:
        raise Unauthorized("The account no longer exists.", code="token_invalid")
    return accounts_service.public_view(user)


@bp.post("/auth/token")
@bp.input(schemas.ClientCredentialsIn)
@bp.output(schemas.ServiceTokenOut)
@bp.doc(summary="Service token (OAuth2 client credentials) for another PolyStatus service",
        responses={401: "Unknown client or wrong secret"})
def service_token(json_data):
    expected = current_app.config["SERVICE_CLIENTS"].get(json_data["client_id"])
    if expected is None or not hmac.compare_digest(expected, json_data["client_secret"]):
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
