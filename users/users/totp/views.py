"""Two-factor sign-in (TOTP): status, set-up, turning it on and off, and the second step of a
sign-in."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus import audit
from polystatus.auth import caller_address, current_identity, require_role
from polystatus.errors import Forbidden
from polystatus.redis_store import get_redis

from ..accounts import flows as accounts_flows
from ..auth import flows as auth_flows
from ..auth import storage as auth_storage
from ..auth.schemas import TokenOut
from . import flows, schemas

bp = APIBlueprint("totp", __name__, tag="Two-factor sign-in")


def now():
    return current_app.config["CLOCK"].now()


def signed_in_user() -> dict:
    return accounts_flows.signed_in(get_redis(), current_identity().sub)


@bp.get("/auth/totp")
@bp.output(schemas.TotpStatusOut)
@bp.doc(summary="Whether two-factor sign-in is on, required for your role, and recovery codes left")
@require_role("user", api_keys=False)
def totp_status():
    return flows.status(get_redis(), current_app.config, user=signed_in_user())


@bp.post("/auth/totp/setup")
@bp.output(schemas.TotpSetupOut)
@bp.doc(summary="Start setting up two-factor sign-in: a new secret for an authenticator app (10 minutes)",
        responses={409: "Already on"})
@require_role("user", api_keys=False)
def totp_setup():
    return flows.setup(get_redis(), user=signed_in_user()), 200, {"Cache-Control": "no-store"}


@bp.post("/auth/totp/enable")
@bp.input(schemas.CodeIn)
@bp.output(schemas.RecoveryCodesOut, status_code=201)
@bp.doc(summary="Turn two-factor sign-in on with a code from the app; answers recovery codes, once, and "
                "ends your other sessions", responses={400: "Set-up expired", 409: "Already on"})
@require_role("user", api_keys=False)
def totp_enable(json_data):
    r, identity = get_redis(), current_identity()
    codes = flows.enable(r, user=signed_in_user(), code=json_data["code"], now=now())
    # Sessions opened with the password alone end; this one goes on.
    auth_storage.revoke_user(r, identity.sub, keep=identity.claims.get("sid"))
    return {"recovery_codes": codes}, 201, {"Cache-Control": "no-store"}


@bp.post("/auth/totp/disable")
@bp.input(schemas.SecondFactorIn)
@bp.output({}, status_code=204)
@bp.doc(summary="Turn two-factor sign-in off, with a current code or a recovery code",
        responses={401: "Wrong code", 409: "Not on"})
@require_role("user", api_keys=False)
def totp_disable(json_data):
    flows.disable(get_redis(), user=signed_in_user(), code=json_data.get("code"),
                  recovery_code=json_data.get("recovery_code"), now=now())
    return ""


@bp.get("/auth/totp/accounts")
@bp.input(schemas.AccountsQuery, location="query")
@bp.output(schemas.AccountsOut)
@bp.doc(summary="Whether each of these accounts has two-factor sign-in on, and since when (admin)")
@require_role("admin")
def totp_accounts(query_data):
    return {"accounts": flows.overview(get_redis(), user_ids=list(dict.fromkeys(query_data["user_id"])))}


@bp.get("/users/<user_id>/totp")
@bp.output(schemas.AccountTotpOut)
@bp.doc(summary="Whether this account has two-factor sign-in on, since when, and recovery codes left (admin)")
@require_role("admin")
def account_totp(user_id):
    r = get_redis()
    user = accounts_flows.existing(r, user_id)
    return {**flows.status(r, current_app.config, user=user), **flows.overview(r, user_ids=[user_id])[0]}


@bp.delete("/users/<user_id>/totp")
@bp.output({}, status_code=204)
@bp.doc(summary="Reset another person's two-factor sign-in (admin): they sign in with their password alone, "
                "then set it up again",
        responses={403: "Your own account (turn it off from /account, with a code), or an API key",
                   404: "No such user", 409: "Not on"})
# A person, never a script: taking someone's second factor off is rare and deliberate.
@require_role("admin", api_keys=False)
def reset_totp(user_id):
    identity = current_identity()
    if identity.sub == user_id:
        # Otherwise a stolen admin session alone could take the admin's own second factor off.
        raise Forbidden("Turn your own two-factor sign-in off from your account, with a code.", code="own_totp")
    user = accounts_flows.existing(get_redis(), user_id)
    audit.describe(object_type="users", object_id=user_id, action="reset_totp")
    flows.reset(get_redis(), user=user, by=identity.sub)
    return ""


@bp.post("/auth/login/totp")
@bp.input(schemas.LoginSecondStepIn)
@bp.output(TokenOut)
@bp.doc(summary="Second step of a sign-in: the challenge from /auth/login and a code (or a recovery code)",
        responses={401: "Wrong code, or the challenge expired", 429: "Too many attempts"})
def login_second_step(json_data):
    from ..auth.views import answer_tokens

    r, config = get_redis(), current_app.config
    address = caller_address()
    # The same per-address budget as passwords: a code is a guess like any other.
    auth_flows.limit_attempt(r, config, address=address, now=config["CLOCK"].now().timestamp())
    user, tokens, session = flows.second_step(r, config, current_app.extensions["key_ring"],
                                              token=json_data["mfa_token"], code=json_data.get("code"),
                                              recovery_code=json_data.get("recovery_code"), now=now())
    return answer_tokens(tokens, {"session": session})
