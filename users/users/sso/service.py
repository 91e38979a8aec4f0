"""Single sign-on rules: what a provider's claims mean here. Pure functions, no I/O."""
from __future__ import annotations

import hashlib
import json
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from polystatus.errors import Forbidden, Unauthorized

RANK = {"user": 0, "staff": 1, "admin": 2}
STATE_TTL_S = 600  # from the button to the provider and back: ten minutes


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def safe_next(value: str | None) -> str:
    """Where to land after signing in: a path of our own origin only (never ``//host`` or a
    URL), so the round trip cannot be turned into an open redirect; "" lets the sign-in page
    choose (the console for staff, the status page for users)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return ""
    return value


def claim_values(claims: dict, name: str) -> list[str]:
    """The values of a claim as strings; ``a.b`` reads nested objects (Keycloak's
    ``realm_access.roles``); a single value counts as a list of one."""
    value = claims
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [str(value)]


def mapped_role(claims: dict, *, role_map: list[tuple[str, str, str]], default_role: str) -> str:
    """The highest role any entry of the map gives these claims, else the default role. The
    map is the whole truth: a role granted by hand is taken back at the next SSO sign-in."""
    granted = [role for claim, value, role in role_map if value in claim_values(claims, claim)]
    return max(granted, key=RANK.__getitem__, default=default_role)


def subject(claims: dict) -> tuple[str, str]:
    """(issuer, sub): who this person is at the provider, for good. OpenID Connect promises a
    subject never reassigned within an issuer, unlike an email address, which a person (or the
    provider's admin) may change or hand to someone else."""
    issuer, sub = claims.get("iss"), claims.get("sub")
    if not (isinstance(issuer, str) and issuer and isinstance(sub, str) and sub):
        raise Unauthorized("The identity provider's answer names no subject.", code="sso_failed")
    return issuer, sub


def subject_digest(issuer: str, sub: str) -> str:
    # JSON, so that no issuer and sub pair can be spelled like another one
    return digest(json.dumps([issuer, sub]))


def new_link(*, issuer: str, sub: str, provider: str, at: str) -> dict:
    return {"issuer": issuer, "subject": sub, "subject_digest": subject_digest(issuer, sub), "provider": provider,
            "linked_at": at}


def linked_elsewhere(link: dict | None, *, issuer: str, sub: str) -> bool:
    """Whether an account found by its email is already linked to another subject of this same
    provider: the address has passed from one person to another there, and the newcomer must
    not inherit the account. (A link to another issuer is an organisation changing providers:
    the new subject takes over.)"""
    return bool(link) and link["issuer"] == issuer and link["subject_digest"] != subject_digest(issuer, sub)


def verified_email_or_none(claims: dict) -> str | None:
    """The provider's email when it vouches for it, else None (no refusal: for an account
    found by its subject, the email is news, not the key)."""
    try:
        return verified_email(claims)
    except Forbidden:
        return None


def verified_email(claims: dict) -> str:
    """The provider's email for this person, only when the provider vouches for it: an
    account is linked by email, so an unverified one could take over someone else's."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise Forbidden("Your identity provider did not share an email address.", code="sso_no_email")
    # True as JSON, or the string some providers (AWS Cognito) send
    if claims.get("email_verified") not in (True, "true"):
        raise Forbidden("Your identity provider has not verified your email address, so it cannot be "
                        "linked to an account here.", code="sso_email_unverified")
    return email.strip().lower()


def display_name(claims: dict, email: str) -> str:
    for name in ("name", "preferred_username", "given_name"):
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:100]
    return email.split("@")[0]


def merged_claims(id_token: dict, userinfo: dict | None) -> dict:
    """The ID token's claims, completed by the userinfo answer (many providers put groups or
    the email only there); userinfo never overrides the signed token, and is ignored when it
    names another subject (OpenID Connect Core 5.3.2)."""
    if not userinfo or userinfo.get("sub") != id_token.get("sub"):
        return dict(id_token)
    return {**userinfo, **id_token}


def password_refused(role: str, *, sso_roles: list[str]) -> bool:
    """Whether this role must sign in with SSO (OIDC_REQUIRED_ROLES)."""
    return role in sso_roles


def end_session_url(endpoint: str, *, id_token: str, client_id: str, post_logout_redirect_uri: str,
                    state: str) -> str:
    """The provider's end-session URL (OpenID Connect RP-Initiated Logout 1.0, section 2):
    ``id_token_hint`` tells the provider whose session to end without asking; ``client_id``
    and ``post_logout_redirect_uri`` (registered with the provider) bring the browser back;
    ``state`` is echoed on the way back. The endpoint's own query is kept, as the spec asks."""
    parts = urlsplit(endpoint)
    query = [*parse_qsl(parts.query, keep_blank_values=True),
             ("id_token_hint", id_token), ("client_id", client_id),
             ("post_logout_redirect_uri", post_logout_redirect_uri), ("state", state)]
    return urlunsplit(parts._replace(query=urlencode(query)))
