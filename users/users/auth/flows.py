"""Sessions: issuing, refreshing and ending them (no Flask; the views and the emailed-link
flows share these, so every way of signing in makes the same kind of session)."""
from __future__ import annotations

import secrets
import time
import uuid

import redis
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from polystatus import ratelimits
from polystatus.errors import Forbidden, RateLimited, Unauthorized

from ..accounts import storage as accounts_storage
from ..accounts.flows import hasher
from ..sso import service as sso_service
from ..totp import flows as totp_flows
from ..totp import service as totp_service
from ..totp import storage as totp_storage
from . import service, storage

# Verifying against a fixed hash when the email is unknown keeps the answer time the same,
# so timing does not tell whether an account exists.
_DUMMY_HASH = hasher.hash("not-a-real-password-just-for-timing")
LOGIN_FAILURES_WINDOW_S = 900


def limit_attempt(r: redis.Redis, config: dict, *, address: str, now: float) -> None:
    """Per address, every sign-in attempt counts, whatever its kind (a password, a TOTP code, a
    trip to the SSO provider, a passkey): one budget stops one client hammering many accounts."""
    ratelimits.enforce(r, f"login-addr:{address}", config["LOGIN_LIMIT_PER_ADDRESS"], 60, what="sign-in attempts",
                       now=now)


def refuse_locked(r: redis.Redis, config: dict, *, email: str) -> None:
    """Per account, only failures count, over 15 minutes. Trade-off: someone can keep an account
    limited by failing on purpose, but only for 15 minutes at a time and without learning
    anything; the alternative (no per-account limit) lets a botnet guess passwords freely."""
    failures, retry = storage.login_failures(r, email)
    if failures >= config["LOGIN_LIMIT_PER_ACCOUNT"]:
        raise RateLimited(f"Too many failed sign-ins for this account; try again in {retry} s.", retry_after=retry)


def refuse_sso_only(config: dict, user: dict) -> None:
    """The roles that must use single sign-on (OIDC_REQUIRED_ROLES) sign in with it only: a
    password or a passkey is a local credential, refused alike. Called once the credential is
    known to be right, so the refusal tells a stranger nothing about roles."""
    if sso_service.password_refused(user["role"], sso_roles=config.get("OIDC_REQUIRED_ROLES", [])):
        name = config.get("OIDC_DISPLAY_NAME") or "single sign-on"
        raise Forbidden(f"Your account signs in with {name} only: use the “Sign in with {name}” button.",
                        code="sso_required", details={"provider": name})


def check_password(r: redis.Redis, config: dict, *, email: str, password: str, address: str) -> dict:
    """The account whose password this is, within the sign-in limits; RateLimited or
    Unauthorized (the same answer for an unknown email and a wrong password) otherwise."""
    email = email.strip().lower()
    limit_attempt(r, config, address=address, now=config["CLOCK"].now().timestamp())
    refuse_locked(r, config, email=email)
    user_id = accounts_storage.id_for_email(r, email)
    user = accounts_storage.get(r, user_id) if user_id else None
    try:
        hasher.verify(user["password_hash"] if user else _DUMMY_HASH, password)
        if user is None:
            raise VerifyMismatchError
    except (VerifyMismatchError, InvalidHashError):
        storage.count_login_failure(r, email, window_s=LOGIN_FAILURES_WINDOW_S)
        raise Unauthorized("Wrong email or password.", code="invalid_credentials") from None
    storage.clear_login_failures(r, email)
    if hasher.check_needs_rehash(user["password_hash"]):
        accounts_storage.set_password_hash(r, user["id"], hasher.hash(password))
    return user


def sign_in(r: redis.Redis, config: dict, ring, *, email: str, password: str, address: str, session: str,
            now: float) -> dict:
    """A sign-in with a password: tokens, or the TOTP challenge when the account has it on.
    Refused for the roles that must use single sign-on (OIDC_REQUIRED_ROLES), and only once
    the password is known to be right, so the refusal tells a stranger nothing about roles."""
    user = check_password(r, config, email=email, password=password, address=address)
    refuse_sso_only(config, user)
    return signed_in(r, config, ring, user, method="password", session=session, now=now)


def signed_in(r: redis.Redis, config: dict, ring, user: dict, *, method: str, session: str, now: float,
              id_token: str | None = None) -> dict:
    """The one end of every sign-in (password, SSO): whether a second factor is asked, then
    the same session and tokens whichever way the person came in.

    ``method="sso"`` never asks the local TOTP code: the identity provider owns second factors
    (its MFA policy, passkeys, conditional access) and has applied them before it answered; a
    second, local code would make people keep two authenticators for one sign-in, and an
    organisation that turned MFA off at its provider has decided so for every application.

    ``method="passkey"`` asks no TOTP code either: the passkey was used with user verification
    (a PIN or a fingerprint on the device), so it already stands for two factors.

    ``id_token`` (SSO only) is the provider's ID token, kept with the session to end it at the
    provider when the person signs out (see sign_out)."""
    if method == "password" and totp_storage.enrolled(r, user["id"]):
        # The password was right; the tokens wait for the second step (POST /auth/login/totp).
        return totp_flows.challenge(r, user=user, session=session)
    return issue(r, config, ring, user, now=now, method=method, id_token=id_token)


def issue(r: redis.Redis, config: dict, ring, user: dict, *, now: float, family: str | None = None,
          method: str = "password", id_token: str | None = None) -> dict:
    """A new access token and refresh token; ``family`` continues a sign-in, None starts one.
    ``method`` (kept with the refresh token) is how the sign-in was made."""
    family = family or uuid.uuid4().hex
    # Staff and admins whom TOTP_REQUIRED_ROLES names act as users until they set it up; not
    # after an SSO sign-in, whose second factor is the provider's, nor after a passkey's, which
    # was two factors in itself (see signed_in).
    if method not in ("sso", "passkey"):
        user = {**user, "role": totp_service.effective_role(
            user["role"], enrolled=totp_storage.enrolled(r, user["id"]),
            required_roles=config.get("TOTP_REQUIRED_ROLES", []))}
    # Minted on the wall clock, not ``now``: every service checks exp/iat against its own
    # wall clock, whatever clock this service runs its rules on.
    claims = service.access_claims(user, issuer=config["JWT_ISSUER"], now=time.time(),
                                   ttl_s=config["ACCESS_TOKEN_TTL"], session_id=family)
    refresh = secrets.token_urlsafe(32)
    storage.store_refresh(r, refresh, user_id=user["id"], family=family, ttl_s=config["REFRESH_TOKEN_TTL"],
                          method=method, id_token=id_token)
    return {"access_token": ring.sign(claims), "refresh_token": refresh, "token_type": "Bearer",
            "expires_in": config["ACCESS_TOKEN_TTL"]}


def refresh(r: redis.Redis, config: dict, ring, token: str, *, now: float) -> dict:
    record, uses = storage.use_refresh(r, token, now=now)
    if record is None:
        raise Unauthorized("The refresh token is not valid.", code="refresh_invalid")
    verdict = service.refresh_verdict(uses=uses, used_at=record["used_at"], now=now,
                                      grace_s=config["REFRESH_REUSE_GRACE"])
    if verdict == "reused":
        # Someone replays a token that was already exchanged: it was stolen, or a client is
        # broken. Either way, every token of this sign-in is revoked.
        storage.revoke_family(r, record["family"])
        raise Unauthorized("This refresh token was already used; the session has been revoked.",
                           code="refresh_reused")
    user = accounts_storage.get(r, record["user_id"])
    if user is None:
        storage.revoke_family(r, record["family"])
        raise Unauthorized("The account no longer exists.", code="refresh_invalid")
    # An SSO session stays one while SSO is configured, a passkey session stays one (no local
    # TOTP downgrade for either, see signed_in).
    method = record.get("method")
    if not (method == "sso" and config.get("OIDC_DISCOVERY_URL")) and method != "passkey":
        method = "password"
    if method in ("password", "passkey") and sso_service.password_refused(user["role"],
                                                             sso_roles=config.get("OIDC_REQUIRED_ROLES", [])):
        # A password (or passkey) session of a role that must now use SSO ends at its next refresh: turning
        # OIDC_REQUIRED_ROLES on takes effect within one access token's lifetime.
        storage.revoke_family(r, record["family"])
        raise Unauthorized("Your account now signs in with single sign-on only: sign in again.",
                           code="sso_required")
    return issue(r, config, ring, user, now=now, family=record["family"], method=method)


def sign_out(r: redis.Redis, config: dict, token: str, *, now: float) -> str | None:
    """Revoke the session of this refresh token; the provider's ID token when single sign-on
    started it, for ending it there too (RP-Initiated Logout). Only for the session's current
    token: one already exchanged (a copy someone kept) still ends the session, but never
    learns the ID token."""
    record, uses = storage.use_refresh(r, token, now=now)
    if record is None:
        return None
    id_token = storage.id_token_of(r, record["family"]) if record.get("method") == "sso" else None
    storage.revoke_family(r, record["family"])
    verdict = service.refresh_verdict(uses=uses, used_at=record["used_at"], now=now,
                                      grace_s=config["REFRESH_REUSE_GRACE"])
    return id_token if verdict != "reused" else None


def sign_out_everywhere(r: redis.Redis, user_id: str) -> int:
    return storage.revoke_user(r, user_id)
