"""Single sign-on with an OpenID Connect provider (no Flask): the start, which sends the
browser to the provider, and the end, which turns the provider's answer into an account, its
role and a session.

Sign-in protections: both steps count against the per-address sign-in limit that passwords
and TOTP codes use; a state is good once, for ten minutes, and only in the browser that
started it (a cookie holds the other half), which stops login CSRF (someone else's sign-in
pushed into your browser) and replays.
"""
from __future__ import annotations

import redis
from polystatus import audit
from polystatus.clock import isoformat
from polystatus.errors import Conflict, Forbidden, Unauthorized
from polystatus.redis_store import atomic

from ..accounts import flows as accounts_flows
from ..accounts import service as accounts_service
from ..accounts import storage as accounts_storage
from ..auth import flows as auth_flows
from . import service, storage


def start(r: redis.Redis, config: dict, provider, *, address: str, next_path: str | None, now: float) -> tuple[str, str]:
    """(the provider's URL to send the browser to, the binding secret for the browser's cookie)."""
    auth_flows.limit_attempt(r, config, address=address, now=now)
    state, nonce, verifier, binding = (service.new_secret() for _ in range(4))
    url = provider.authorization(redirect_uri=config["OIDC_REDIRECT_URL"], state=state, nonce=nonce,
                                 code_verifier=verifier)
    storage.save_state(r, service.digest(state), {
        "nonce": nonce, "code_verifier": verifier, "next": service.safe_next(next_path),
        "binding": service.digest(binding)}, ttl_s=service.STATE_TTL_S)
    return url, binding


def pending(r: redis.Redis, *, state: str | None, binding: str | None) -> dict:
    """The sign-in this callback ends (used up now), if it started in this browser."""
    record = storage.take_state(r, service.digest(state)) if state else None
    if record is None or not binding or service.digest(binding) != record["binding"]:
        raise Unauthorized("This sign-in was not started here, or it has expired: start again.", code="sso_state")
    return record


def finish(r: redis.Redis, config: dict, ring, provider, *, record: dict, code: str, now) -> tuple[dict, dict]:
    """(the account, its tokens) for the provider's authorization code."""
    claims, userinfo, id_token = provider.identity(code=code, redirect_uri=config["OIDC_REDIRECT_URL"],
                                         code_verifier=record["code_verifier"], nonce=record["nonce"])
    claims = service.merged_claims(claims, userinfo)
    role = service.mapped_role(claims, role_map=config["OIDC_ROLE_MAP"], default_role=config["OIDC_DEFAULT_ROLE"])
    user, before = account_for(r, config, claims=claims, role=role, now=now)
    audit.describe(object_type="auth", object_id=user["id"], action="sso_login", before=before,
                   after={"user_id": user["id"], "email": user["email"], "role": user["role"],
                          "provider": config["OIDC_DISPLAY_NAME"]})
    return user, auth_flows.signed_in(r, config, ring, user, method="sso", session="cookie", now=now.timestamp(),
                                      id_token=id_token)


def logout_url(config: dict, provider, *, id_token: str | None) -> str | None:
    """Where the browser goes to end its session at the identity provider too (RP-Initiated
    Logout), for a session that SSO started; None when it was not one, or when the provider
    advertises no ``end_session_endpoint`` (then signing out here is all there is)."""
    if not id_token or not config.get("OIDC_DISCOVERY_URL"):
        return None
    endpoint = provider.end_session_endpoint()
    if endpoint is None:
        return None
    return service.end_session_url(endpoint, id_token=id_token, client_id=config["OIDC_CLIENT_ID"],
                                   post_logout_redirect_uri=config["OIDC_POST_LOGOUT_REDIRECT_URL"],
                                   state=service.new_secret())


def account_for(r: redis.Redis, config: dict, *, claims: dict, role: str, now) -> tuple[dict, dict | None]:
    """(the account these claims sign in to, what its email was if this sign-in changed it).

    The provider's subject (issuer, sub) finds the account first: the first SSO sign-in links
    it, so an email changed at the provider still reaches the same account, whose email then
    follows (when the provider vouches for it and no other account here has it; else the
    sign-in is refused, as two accounts cannot share an address). An unlinked subject is
    linked by verified email, or gets a new account (OIDC_AUTO_CREATE). The role follows the
    map at every sign-in, up or down. Without a map (a provider that sends no groups, like
    Google), SSO manages no role: a new account gets OIDC_DEFAULT_ROLE and admins give roles
    by hand, which stay."""
    issuer, sub = service.subject(claims)
    link = service.new_link(issuer=issuer, sub=sub, provider=config["OIDC_DISPLAY_NAME"], at=isoformat(now))
    user_id = storage.linked_account(r, link["subject_digest"])
    user = accounts_storage.get(r, user_id) if user_id else None  # None too when the account was deleted
    changes, previous = {}, None
    if user is not None:
        email = service.verified_email_or_none(claims)
        if email and email != user["email"]:
            if accounts_storage.id_for_email(r, email) not in (None, user["id"]):
                raise Conflict(f"Your identity provider now gives your email address as {email}, which another "
                               "account here uses; ask an administrator to change or remove that account.",
                               code="sso_email_taken")
            changes["email"] = email
        link = None  # linked already: nothing to write
    else:
        email = service.verified_email(claims)
        user_id = accounts_storage.id_for_email(r, email)
        user = accounts_storage.get(r, user_id) if user_id else None
        if user is None:
            return _new_account(r, config, claims=claims, email=email, role=role, link=link, now=now), None
        previous = storage.link_of(r, user["id"])
        if service.linked_elsewhere(previous, issuer=issuer, sub=sub):
            raise Forbidden("The account with your email address signs in as another person at your identity "
                            "provider; ask an administrator.", code="sso_linked_elsewhere")
    if config["OIDC_ROLE_MAP"] and user["role"] != role:
        accounts_service.check_role_change(actor_id="sso", target_id=user["id"], old_role=user["role"], new_role=role,
                                           admin_count=accounts_storage.admin_count(r))
        changes["role"] = role
    also = (lambda pipe: storage.queue_link(pipe, user["id"], link, previous=previous)) if link else None
    if changes:
        event = None
        if "role" in changes:
            event = ("user.role_changed", {"user_id": user["id"], "email": changes.get("email", user["email"]),
                                           "old_role": user["role"], "new_role": role, "by": "sso"})
        # (the email's uniqueness is checked above and moved here, as a PATCH of the account does)
        accounts_flows.save_changes(r, user["id"], {**changes, "updated_at": isoformat(now)}, event=event,
                                    old_email=user["email"], also=also)
    elif also:
        with atomic(r, durable=True) as pipe:
            also(pipe)
    before = {"email": user["email"]} if "email" in changes else None
    return {**user, **changes}, before


def _new_account(r: redis.Redis, config: dict, *, claims: dict, email: str, role: str, link: dict, now) -> dict:
    if not config["OIDC_AUTO_CREATE"]:
        raise Forbidden("There is no account here for your email address; ask an administrator for one.",
                        code="sso_no_account")
    # No password: this account signs in with SSO (a password reset by email can add one).
    user = accounts_service.new_account(
        user_id=accounts_service.new_user_id(now.timestamp()), email=email,
        display_name=service.display_name(claims, email), role=role, password_hash="", at=isoformat(now))
    if not accounts_flows.store_new(r, user, created_ts=now.timestamp(),
                                    also=lambda pipe: storage.queue_link(pipe, user["id"], link)):
        raise Conflict("An account with this email was created meanwhile: sign in again.", code="email_taken")
    return user


def sign_in_methods(r: redis.Redis, config: dict, *, user: dict) -> dict:
    """How this account signs in: its single sign-on link (the provider's name, since when),
    whether it has a password at all (an account made by SSO has none) and whether its role
    must use SSO (OIDC_REQUIRED_ROLES: then a password would be refused anyway)."""
    link = storage.link_of(r, user["id"])
    return {"sso": link is not None, "provider": link["provider"] if link else None,
            "linked_at": link["linked_at"] if link else None, "password": bool(user.get("password_hash")),
            "sso_only": service.password_refused(user["role"], sso_roles=config.get("OIDC_REQUIRED_ROLES") or [])}
