"""Passkeys (WebAuthn): added from the account, listed, removed, and signing in with one
(no Flask).

A registration's challenge is bound to the signed-in account that asked for it; a sign-in's to
nothing (usernameless: the credential names its account). Either is good once, for a few
minutes. A sign-in goes through the same sign-in limits as a password (the per-address budget,
and the per-account lockout once the credential names its account), and ends in
``auth.flows.signed_in`` like every other way in, with ``method="passkey"``: a session and
tokens of the same kind, and no TOTP prompt (user verification made it two factors).
"""
from __future__ import annotations

import logging

import redis
from polystatus import audit, events, ratelimits
from polystatus.clock import isoformat
from polystatus.errors import BadRequest, Conflict, NotFound, Unauthorized
from polystatus.redis_store import atomic

from ..accounts import storage as accounts_storage
from ..auth import flows as auth_flows
from ..auth import storage as auth_storage
from . import service, storage

SERVICE = "users"
log = logging.getLogger("users.passkeys")


def enabled(config: dict) -> bool:
    return bool(config.get("WEBAUTHN_RP_ID"))


def offer(config: dict) -> dict:
    """Whether passkeys are offered, and on which origins (a page opened on another address of
    the same server, 127.0.0.1 for localhost, shows no button the browser would refuse)."""
    return {"enabled": enabled(config), "origins": list(config.get("WEBAUTHN_ORIGINS") or [])}


def _require_enabled(config: dict) -> None:
    if not enabled(config):
        raise NotFound("Passkeys are not available on this site (WEBAUTHN_RP_ID is not set).", code="passkeys_off")


def mine(r: redis.Redis, *, user: dict) -> list[dict]:
    return [service.public_view(p) for p in storage.of_user(r, user["id"])]


def registration_options(r: redis.Redis, config: dict, *, user: dict, now: float) -> dict:
    _require_enabled(config)
    auth_flows.refuse_sso_only(config, user)
    # Per account, on the sign-in budget's scale: asking costs a key in Redis for five minutes.
    ratelimits.enforce(r, f"passkey-options:{user['id']}", config["LOGIN_LIMIT_PER_ADDRESS"], 60,
                       what="passkey set-ups", now=now)
    existing = storage.of_user(r, user["id"])
    if len(existing) >= service.MAX_PER_ACCOUNT:
        raise Conflict(f"An account holds at most {service.MAX_PER_ACCOUNT} passkeys; remove one first.",
                       code="passkeys_full")
    challenge = service.new_challenge()
    storage.save_challenge(r, challenge, purpose="register", user_id=user["id"])
    return service.registration_options(rp_id=config["WEBAUTHN_RP_ID"], rp_name=config["WEBAUTHN_RP_NAME"],
                                        user=user, existing=existing, challenge=challenge)


def _take(r: redis.Redis, credential: dict, *, purpose: str, user_id: str | None = None) -> bytes:
    challenge = service.challenge_of(credential)
    record = storage.take_challenge(r, challenge)
    if record is None or record["purpose"] != purpose or record.get("user_id") != user_id:
        raise BadRequest("This passkey request has expired or was already answered; start again.",
                         code="passkey_challenge")
    return challenge


def register(r: redis.Redis, config: dict, *, user: dict, name: str, credential: dict, now) -> dict:
    """Verify the browser's answer to the registration options and keep the credential."""
    _require_enabled(config)
    auth_flows.refuse_sso_only(config, user)
    challenge = _take(r, credential, purpose="register", user_id=user["id"])
    verified = service.verify_registration(credential=credential, challenge=challenge,
                                           rp_id=config["WEBAUTHN_RP_ID"], origins=config["WEBAUTHN_ORIGINS"])
    if storage.get(r, verified["id"]) is not None:
        raise Conflict("This passkey is already registered.", code="passkey_exists")
    passkey = service.new_passkey(verified, user_id=user["id"], name=name, at=isoformat(now))
    audit.describe(object_type="passkeys", object_id=passkey["id"], action="create",
                   after={"user_id": user["id"], "name": name, "transports": passkey["transports"],
                          "backed_up": passkey["backed_up"]})
    with atomic(r, durable=True) as pipe:
        storage.queue_add(pipe, passkey)
        events.publish(pipe, SERVICE, "user.passkey_added",
                       {"user_id": user["id"], "passkey_id": passkey["id"], "name": name})
    return service.public_view(passkey)


def remove(r: redis.Redis, *, user: dict, passkey_id: str) -> None:
    """Remove one of the signed-in person's passkeys (someone else's is not found, as one that
    does not exist: an id tells nothing about whose it is)."""
    passkey = storage.get(r, passkey_id)
    if passkey is None or passkey["user_id"] != user["id"]:
        raise NotFound("No such passkey.", code="not_found")
    audit.describe(object_type="passkeys", object_id=passkey_id, action="delete",
                   before={"user_id": user["id"], "name": passkey["name"], "created_at": passkey["created_at"]})
    with atomic(r, durable=True) as pipe:
        storage.queue_remove(pipe, passkey)
        events.publish(pipe, SERVICE, "user.passkey_removed",
                       {"user_id": user["id"], "passkey_id": passkey_id, "by": user["id"]})


def login_options(r: redis.Redis, config: dict, *, address: str, now: float) -> dict:
    _require_enabled(config)
    auth_flows.limit_attempt(r, config, address=address, now=now)
    challenge = service.new_challenge()
    storage.save_challenge(r, challenge, purpose="login")
    return service.authentication_options(rp_id=config["WEBAUTHN_RP_ID"], challenge=challenge)


def sign_in(r: redis.Redis, config: dict, ring, *, credential: dict, address: str, session: str, now) -> tuple[dict, dict]:
    """(the account, its tokens) for a verified assertion of one of its passkeys."""
    _require_enabled(config)
    auth_flows.limit_attempt(r, config, address=address, now=now.timestamp())
    challenge = _take(r, credential, purpose="login")
    passkey = storage.get(r, str(credential.get("id", "")))
    user = accounts_storage.get(r, passkey["user_id"]) if passkey else None
    if user is None:
        # Removed, never registered here, or its account deleted: the browser may still hold it.
        raise Unauthorized("This passkey is not registered here (it may have been removed).", code="passkey_unknown")
    auth_flows.refuse_locked(r, config, email=user["email"])
    try:
        if not service.user_handle_matches(credential, passkey):
            raise Unauthorized("The passkey names another account.", code="passkey_invalid")
        new_count = service.verify_assertion(credential=credential, challenge=challenge,
                                             rp_id=config["WEBAUTHN_RP_ID"], origins=config["WEBAUTHN_ORIGINS"],
                                             passkey=passkey)
        if not service.sign_count_goes_forward(stored=passkey["sign_count"], new=new_count):
            log.warning("passkey %s of %s: sign count %s after %s, a cloned authenticator; refused",
                        passkey["id"], user["id"], new_count, passkey["sign_count"])
            raise Unauthorized("This passkey's counter went backwards: it may have been copied. Sign in another "
                               "way and remove it.", code="passkey_cloned")
        if not storage.use(r, passkey["id"], read_count=passkey["sign_count"], new_count=new_count,
                           at=isoformat(now)):
            raise Unauthorized("This passkey was used at the same moment elsewhere, or removed.", code="passkey_invalid")
    except Unauthorized:
        auth_storage.count_login_failure(r, user["email"], window_s=auth_flows.LOGIN_FAILURES_WINDOW_S)
        raise
    # Only once the passkey is known to be right, as for a password: the refusal tells a
    # stranger nothing about the account's role.
    auth_flows.refuse_sso_only(config, user)
    auth_storage.clear_login_failures(r, user["email"])
    audit.describe(object_type="auth", object_id=user["id"], action="passkey_login",
                   after={"user_id": user["id"], "email": user["email"], "passkey_id": passkey["id"],
                          "passkey_name": passkey["name"]})
    return user, auth_flows.signed_in(r, config, ring, user, method="passkey", session=session, now=now.timestamp())
