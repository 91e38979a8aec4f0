"""Passkeys (WebAuthn): added from the account (options, then the browser's answer), listed and
removed by their owner; and signing in with one (options, then the browser's assertion)."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus import audit
from polystatus.auth import caller_address, current_identity, require_role
from polystatus.redis_store import get_redis

from ..accounts import flows as accounts_flows
from ..auth.schemas import TokenOut
from ..auth.views import answer_tokens, ring
from . import flows, schemas, service

bp = APIBlueprint("passkeys", __name__, tag="Passkeys")
SIGN_IN_REFUSALS = {400: "The challenge is unknown, expired or used (passkey_challenge), or the answer is malformed",
                    401: "Not verified (passkey_invalid), unknown (passkey_unknown), or a cloned authenticator "
                         "(passkey_cloned)",
                    403: "This account signs in with SSO only (sso_required)",
                    404: "Passkeys are not offered here (passkeys_off)", 429: "Too many attempts"}


def now():
    return current_app.config["CLOCK"].now()


def signed_in_user() -> dict:
    return accounts_flows.signed_in(get_redis(), current_identity().sub)


@bp.get("/auth/passkeys/info")
@bp.output(schemas.PasskeyInfoOut)
@bp.doc(summary="Whether this site offers passkeys (the sign-in page shows its button then)")
def passkeys_info():
    return flows.offer(current_app.config)


@bp.get("/auth/passkeys")
@bp.output(schemas.PasskeyListOut)
@bp.doc(summary="Your passkeys (never their keys)")
@require_role("user", api_keys=False)
def my_passkeys():
    return {"passkeys": flows.mine(get_redis(), user=signed_in_user()), **flows.offer(current_app.config),
            "limit": service.MAX_PER_ACCOUNT}


@bp.post("/auth/passkeys/register/options")
@audit.exempt("asks for a challenge; the passkey it may lead to is recorded when it is added")
@bp.output(schemas.OptionsOut)
@bp.doc(summary="Start adding a passkey: PublicKeyCredentialCreationOptions (JSON) for "
                "navigator.credentials.create(); the challenge is yours, good once, for five minutes",
        responses={403: "This account signs in with SSO only (sso_required)",
                   404: "Passkeys are not offered here (passkeys_off)", 409: "Too many passkeys (passkeys_full)",
                   429: "Too many set-ups"})
@require_role("user", api_keys=False)
def register_options():
    options = flows.registration_options(get_redis(), current_app.config, user=signed_in_user(),
                                         now=now().timestamp())
    return {"publicKey": options}, 200, {"Cache-Control": "no-store"}


@bp.post("/auth/passkeys/register")
@bp.input(schemas.RegisterIn)
@bp.output(schemas.PasskeyAddedOut, status_code=201)
@bp.doc(summary="Add a passkey: the browser's answer to the options, verified (user verification required)",
        responses={400: "The challenge is unknown, expired, used or not yours (passkey_challenge)",
                   401: "The answer does not verify: origin, RP id, signature... (passkey_invalid)",
                   403: "This account signs in with SSO only (sso_required)",
                   404: "Passkeys are not offered here (passkeys_off)", 409: "Already registered (passkey_exists)"})
@require_role("user", api_keys=False)
def register(json_data):
    return flows.register(get_redis(), current_app.config, user=signed_in_user(), name=json_data["name"],
                          credential=json_data["credential"], now=now()), 201


@bp.delete("/auth/passkeys/<passkey_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Remove one of your passkeys: it no longer signs in", responses={404: "Not one of your passkeys"})
@require_role("user", api_keys=False)
def remove(passkey_id):
    flows.remove(get_redis(), user=signed_in_user(), passkey_id=passkey_id)
    return ""


@bp.post("/auth/passkeys/login/options")
@audit.exempt("asks for a challenge; the sign-in it may lead to is recorded")
@bp.output(schemas.OptionsOut)
@bp.doc(summary="Start a sign-in with a passkey: PublicKeyCredentialRequestOptions (JSON) for "
                "navigator.credentials.get(), with no email asked (discoverable credentials)",
        responses={404: "Passkeys are not offered here (passkeys_off)", 429: "Too many attempts"})
def login_options():
    options = flows.login_options(get_redis(), current_app.config, address=caller_address(), now=now().timestamp())
    return {"publicKey": options}, 200, {"Cache-Control": "no-store"}


@bp.post("/auth/passkeys/login")
@bp.input(schemas.LoginIn)
@bp.output(TokenOut)
@bp.doc(summary="Sign in with a passkey: the browser's assertion, verified; tokens (or the session cookie) as "
                "a password sign-in gives, with no TOTP step (the passkey verified the person)",
        responses=SIGN_IN_REFUSALS)
def login(json_data):
    _, tokens = flows.sign_in(get_redis(), current_app.config, ring(), credential=json_data["credential"],
                              address=caller_address(), session=json_data["session"], now=now())
    return answer_tokens(tokens, json_data)
