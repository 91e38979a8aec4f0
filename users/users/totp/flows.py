"""Two-factor sign-in: set up, turn on (recovery codes shown once), turn off, and the second
step of a sign-in (no Flask)."""
from __future__ import annotations

import secrets

import redis
from polystatus import events
from polystatus.clock import isoformat
from polystatus.errors import BadRequest, Conflict, Invalid, Unauthorized
from polystatus.redis_store import atomic

from ..accounts import storage as accounts_storage
from ..auth import flows as auth_flows
from ..auth import storage as auth_storage
from . import service, storage

SERVICE = "users"
MAX_ATTEMPTS = 5  # codes tried on one password sign-in; then the password is asked again


def status(r: redis.Redis, config: dict, *, user: dict) -> dict:
    return {"enabled": storage.enrolled(r, user["id"]),
            "required": service.required(user["role"], required_roles=config["TOTP_REQUIRED_ROLES"]),
            "recovery_codes_left": storage.recovery_left(r, user["id"])}


def setup(r: redis.Redis, *, user: dict) -> dict:
    if storage.enrolled(r, user["id"]):
        raise Conflict("Two-factor sign-in is already on; turn it off first to use another device.",
                       code="totp_enabled")
    secret = service.new_secret()
    storage.set_pending(r, user["id"], secret)
    uri = service.provisioning_uri(secret, email=user["email"])
    return {"secret": secret, "uri": uri, "qr": service.qr_data_uri(uri)}


def enable(r: redis.Redis, *, user: dict, code: str, now) -> list[str]:
    """Turn it on with a first code from the device; answers the recovery codes (shown once)."""
    if storage.enrolled(r, user["id"]):
        raise Conflict("Two-factor sign-in is already on.", code="totp_enabled")
    secret = storage.pending(r, user["id"])
    if secret is None:
        raise BadRequest("The set-up has expired; start it again.", code="totp_setup_expired")
    step = service.matching_step(secret, code, now_ts=now.timestamp(), last_step=-1)
    if step is None:
        raise Invalid("That code is not the one the device shows now.", details={"code": ["Wrong code."]})
    codes = service.new_recovery_codes()
    with atomic(r, durable=True) as pipe:
        storage.queue_enable(pipe, user["id"], secret=secret, step=step,
                             recovery_digests=[service.digest(c) for c in codes], at=isoformat(now))
        events.publish(pipe, SERVICE, "user.totp_enabled", {"user_id": user["id"]})
    return codes


def check_second_factor(r: redis.Redis, *, user_id: str, code: str | None, recovery_code: str | None, now) -> str:
    """'code' or 'recovery_code' when one is right (and now used up); Unauthorized otherwise."""
    state = storage.state(r, user_id)
    if state is None:
        raise Conflict("Two-factor sign-in is not on for this account.", code="totp_not_enabled")
    if code:
        step = service.matching_step(state["secret"], code, now_ts=now.timestamp(), last_step=int(state["last_step"]))
        if step is not None and storage.use_step(r, user_id, step):
            return "code"
    if recovery_code and storage.use_recovery(r, user_id, service.digest(recovery_code)):
        return "recovery_code"
    raise Unauthorized("Wrong code.", code="wrong_code")


def disable(r: redis.Redis, *, user: dict, code: str | None, recovery_code: str | None, now) -> None:
    # A code is asked even of a signed-in person: a stolen session alone cannot take the
    # second factor off.
    check_second_factor(r, user_id=user["id"], code=code, recovery_code=recovery_code, now=now)
    _turn_off(r, user_id=user["id"], by=user["id"])


def reset(r: redis.Redis, *, user: dict, by: str) -> None:
    """An admin takes a person's second factor off (a lost phone, no recovery code left): the
    next sign-in asks the password only, and the person can set it up again from /account."""
    if not storage.enrolled(r, user["id"]):
        raise Conflict("Two-factor sign-in is not on for this account.", code="totp_not_enabled")
    _turn_off(r, user_id=user["id"], by=by)


def _turn_off(r: redis.Redis, *, user_id: str, by: str) -> None:
    with atomic(r, durable=True) as pipe:
        storage.queue_disable(pipe, user_id)
        events.publish(pipe, SERVICE, "user.totp_disabled", {"user_id": user_id, "by": by})


def overview(r: redis.Redis, *, user_ids: list[str]) -> list[dict]:
    """Whether each of these accounts has two-factor sign-in on, and since when (admins' list)."""
    since = storage.enabled_since(r, user_ids)
    return [{"user_id": user_id, "enabled": since[user_id] is not None, "enabled_at": since[user_id]}
            for user_id in user_ids]


def challenge(r: redis.Redis, *, user: dict, session: str) -> dict:
    """The answer to a right password when two-factor sign-in is on: no token yet, a challenge."""
    token = secrets.token_urlsafe(32)
    storage.save_challenge(r, token, user_id=user["id"], session=session)
    return {"mfa_required": True, "mfa_token": token}


def second_step(r: redis.Redis, config: dict, ring, *, token: str, code: str | None, recovery_code: str | None,
                now) -> tuple[dict, dict, str]:
    """(account, tokens, how the session is kept) once the second factor is right."""
    record, attempts = storage.attempt_challenge(r, token)
    if record is None:
        raise Unauthorized("This sign-in has expired; enter your password again.", code="mfa_expired")
    if attempts > MAX_ATTEMPTS:
        storage.drop_challenge(r, token)
        raise Unauthorized("Too many wrong codes; enter your password again.", code="mfa_expired")
    user = accounts_storage.get(r, record["user_id"])
    if user is None:
        storage.drop_challenge(r, token)
        raise Unauthorized("The account no longer exists.", code="mfa_expired")
    check_second_factor(r, user_id=user["id"], code=code, recovery_code=recovery_code, now=now)
    storage.drop_challenge(r, token)
    auth_storage.clear_login_failures(r, user["email"])  # the whole sign-in succeeded
    return user, auth_flows.issue(r, config, ring, user, now=now.timestamp()), record["session"]
