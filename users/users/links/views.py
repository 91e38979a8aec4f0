"""Sign-up confirmed by an emailed link, and resetting a forgotten password by email."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus import ratelimits
from polystatus.auth import caller_address
from polystatus.redis_store import get_redis

from ..accounts import service as accounts_service
from ..accounts.views import hasher
from ..auth.views import answer_tokens, ring
from . import flows, schemas

bp = APIBlueprint("links", __name__, tag="Sign-up and password reset")
CHECK_MAIL = {"message": "Check your mailbox: we sent you a link."}
HOUR = 3600


def limit(kind: str, per_address_setting: str, email: str) -> None:
    """Per client address, and per recipient: nobody floods an inbox with our mails. The same
    limits apply whether the address has an account or not, so they reveal nothing."""
    config = current_app.config
    now = config["CLOCK"].now().timestamp()
    address = caller_address()
    ratelimits.enforce(get_redis(), f"{kind}:{address}", config[per_address_setting], HOUR,
                       what=f"{kind} requests from this address", now=now)
    ratelimits.enforce(get_redis(), f"mail-to:{email.strip().lower()}", config["EMAIL_LINKS_PER_ADDRESS"], HOUR,
                       what="emails to this address", now=now)


def signed_in(user: dict, tokens: dict, json_data: dict) -> dict:
    return {**answer_tokens(tokens, json_data), "user": accounts_service.public_view(user)}


@bp.post("/auth/signup")
@bp.input(schemas.SignupIn)
@bp.output(schemas.AcceptedOut, status_code=202)
@bp.doc(summary="Sign up: a confirmation link is emailed (the answer is the same whether the address has an account)",
        responses={422: "Weak password", 429: "Too many sign-ups", 503: "Mail cannot be sent now"})
def signup(json_data):
    limit("signup", "SIGNUP_LIMIT_PER_ADDRESS", json_data["email"])
    flows.request_signup(get_redis(), current_app.config, current_app.extensions["mailer"], hasher,
                         email=json_data["email"], password=json_data["password"],
                         display_name=json_data["display_name"], lang=json_data["lang"],
                         now=current_app.config["CLOCK"].now())
    return CHECK_MAIL


@bp.post("/auth/signup/confirm")
@bp.input(schemas.TokenIn)
@bp.output(schemas.SignedInOut, status_code=201)
@bp.doc(summary="Confirm a sign-up with the emailed token: the account is created and signed in",
        responses={400: "Unknown, used or expired link", 409: "The address has an account already"})
def confirm_signup(json_data):
    user, tokens = flows.confirm_signup(get_redis(), current_app.config, ring(), token=json_data["token"],
                                        now=current_app.config["CLOCK"].now())
    return signed_in(user, tokens, json_data)


@bp.post("/auth/reset")
@bp.input(schemas.ResetIn)
@bp.output(schemas.AcceptedOut, status_code=202)
@bp.doc(summary="Forgotten password: a reset link is emailed (same answer whether the address has an account)",
        responses={429: "Too many requests", 503: "Mail cannot be sent now"})
def reset(json_data):
    limit("reset", "RESET_LIMIT_PER_ADDRESS", json_data["email"])
    flows.request_reset(get_redis(), current_app.config, current_app.extensions["mailer"], email=json_data["email"],
                        lang=json_data["lang"], now=current_app.config["CLOCK"].now())
    return CHECK_MAIL


@bp.post("/auth/reset/confirm")
@bp.input(schemas.ResetConfirmIn)
@bp.output(schemas.SignedInOut)
@bp.doc(summary="Set a new password with the emailed token; every other session of the account ends",
        responses={400: "Unknown, used or expired link", 422: "Weak password"})
def confirm_reset(json_data):
    user, tokens = flows.confirm_reset(get_redis(), current_app.config, ring(), hasher, token=json_data["token"],
                                       password=json_data["password"], now=current_app.config["CLOCK"].now())
    return signed_in(user, tokens, json_data)
