"""users settings: the only module that reads the environment."""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from polystatus import settings as s


def _clients(raw: list[str]) -> dict[str, str]:
    clients = {}
    for item in raw:
        name, sep, secret = item.partition("=")
        if not sep or not name.strip() or len(secret.strip()) < 16:
            raise s.SettingsError("SERVICE_CLIENTS must be 'name=secret,...' with secrets of 16+ characters")
        clients[name.strip()] = secret.strip()
    return clients


ROLES = ("user", "staff", "admin")


def _roles(raw: list[str], name: str = "TOTP_REQUIRED_ROLES") -> list[str]:
    unknown = sorted(set(raw) - set(ROLES))
    if unknown:
        raise s.SettingsError(f"{name} takes user, staff and admin; got {', '.join(unknown)}")
    return raw


def _role_map(raw: list[str], default_claim: str) -> list[tuple[str, str, str]]:
    """OIDC_ROLE_MAP: ``claim:value=role`` entries (``value=role`` reads OIDC_ROLE_CLAIM), e.g.
    ``groups:ops=staff,groups:it=admin``; a list of (claim, value, role)."""
    entries = []
    for item in raw:
        left, sep, role = item.rpartition("=")
        claim, colon, value = left.partition(":")
        if not colon:
            claim, value = default_claim, left
        if not sep or not claim.strip() or not value.strip() or role.strip() not in ROLES:
            raise s.SettingsError(f"OIDC_ROLE_MAP entries are 'claim:value=role' with a role among "
                                  f"{', '.join(ROLES)}; got {item!r}")
        entries.append((claim.strip(), value.strip(), role.strip()))
    return entries


def oidc(environ: Mapping[str, str], public_url: str) -> dict:
    """Single sign-on (OpenID Connect). Off unless OIDC_DISCOVERY_URL is set; then the client id
    and secret are needed too (a half-configured provider stops the start, not a sign-in)."""
    discovery = s.env_str(environ, "OIDC_DISCOVERY_URL", "")
    config = {
        "OIDC_DISCOVERY_URL": s.env_url(environ, "OIDC_DISCOVERY_URL", "", schemes=("http", "https")) if discovery else "",
        "OIDC_CLIENT_ID": s.env_str(environ, "OIDC_CLIENT_ID", ""),
        # from OIDC_CLIENT_SECRET or the file OIDC_CLIENT_SECRET_FILE names; never answered by any route
        "OIDC_CLIENT_SECRET": s.env_secret(environ, "OIDC_CLIENT_SECRET") or "",
        "OIDC_SCOPES": " ".join(s.env_list(environ, "OIDC_SCOPES", ["openid", "email", "profile"])),
        "OIDC_DISPLAY_NAME": s.env_str(environ, "OIDC_DISPLAY_NAME", "SSO"),
        "OIDC_ROLE_CLAIM": s.env_str(environ, "OIDC_ROLE_CLAIM", "groups"),
        "OIDC_DEFAULT_ROLE": s.env_str(environ, "OIDC_DEFAULT_ROLE", "user"),
        "OIDC_AUTO_CREATE": s.env_bool(environ, "OIDC_AUTO_CREATE", True),
        # e.g. "staff,admin": those roles sign in with SSO only (their password is refused)
        "OIDC_REQUIRED_ROLES": _roles(s.env_list(environ, "OIDC_REQUIRED_ROLES", []), "OIDC_REQUIRED_ROLES"),
        # where the provider sends the browser back: users' callback through the public origin
        "OIDC_REDIRECT_URL": s.env_url(environ, "OIDC_REDIRECT_URL", f"{public_url}/api/users/auth/oidc/callback",
                                       schemes=("http", "https")),
        # where the provider sends the browser once it has ended its session there (RP-Initiated
        # Logout); register it with the provider as a post-logout redirect URI
        "OIDC_POST_LOGOUT_REDIRECT_URL": s.env_url(environ, "OIDC_POST_LOGOUT_REDIRECT_URL", f"{public_url}/",
                                                   schemes=("http", "https")),
    }
    config["OIDC_ROLE_MAP"] = _role_map(s.env_list(environ, "OIDC_ROLE_MAP", []), config["OIDC_ROLE_CLAIM"])
    if config["OIDC_DEFAULT_ROLE"] not in ROLES:
        raise s.SettingsError(f"OIDC_DEFAULT_ROLE is one of {', '.join(ROLES)}; got {config['OIDC_DEFAULT_ROLE']}")
    if "openid" not in config["OIDC_SCOPES"].split():
        raise s.SettingsError("OIDC_SCOPES must include openid")
    if discovery and not (config["OIDC_CLIENT_ID"] and config["OIDC_CLIENT_SECRET"]):
        raise s.SettingsError("OIDC_DISCOVERY_URL is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (or "
                              "OIDC_CLIENT_SECRET_FILE) are needed too")
    if config["OIDC_REQUIRED_ROLES"] and not discovery:
        raise s.SettingsError("OIDC_REQUIRED_ROLES needs single sign-on configured (OIDC_DISCOVERY_URL)")
    return config


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def webauthn(environ: Mapping[str, str], public_url: str) -> dict:
    """Passkeys (WebAuthn). The relying party id is the public origin's host name, which a
    browser checks the page's origin against; the origins are where the page is served.

    Browsers refuse an IP address as a relying party id, so the development default
    (``http://127.0.0.1:8080``) gets ``localhost`` and its origin on localhost, and any other IP
    origin turns passkeys off unless WEBAUTHN_RP_ID names a domain. Plain HTTP is a secure
    context for localhost only, so other origins must be HTTPS."""
    public = urlsplit(public_url)
    host = public.hostname or ""
    default_origins = [f"{public.scheme}://{public.netloc}"]
    default_rp = host
    if host in ("127.0.0.1", "::1"):
        default_rp = "localhost"
        default_origins = [f"{public.scheme}://localhost" + (f":{public.port}" if public.port else "")]
    elif _is_ip(host):
        default_rp = ""
    rp_id = s.env_str(environ, "WEBAUTHN_RP_ID", default_rp).strip().lower()
    origins = [o.rstrip("/") for o in s.env_list(environ, "WEBAUTHN_ORIGINS", default_origins)]
    if rp_id and (_is_ip(rp_id) or "/" in rp_id or ":" in rp_id):
        raise s.SettingsError(f"WEBAUTHN_RP_ID is a domain name (no scheme, port or IP address); got {rp_id}")
    for origin in origins if rp_id else ():
        parts = urlsplit(origin)
        name = parts.hostname or ""
        if parts.scheme not in ("https", "http") or parts.path or not name:
            raise s.SettingsError(f"WEBAUTHN_ORIGINS are origins like https://status.example.com; got {origin}")
        if parts.scheme == "http" and name != "localhost" and not name.endswith(".localhost"):
            raise s.SettingsError(f"WEBAUTHN_ORIGINS: browsers offer passkeys over HTTPS only (or on localhost); "
                                  f"got {origin}")
        if name != rp_id and not name.endswith("." + rp_id):
            raise s.SettingsError(f"WEBAUTHN_ORIGINS: {origin} is not on WEBAUTHN_RP_ID {rp_id} or a subdomain of it")
    return {"WEBAUTHN_RP_ID": rp_id, "WEBAUTHN_ORIGINS": origins if rp_id else [],
            "WEBAUTHN_RP_NAME": s.env_str(environ, "WEBAUTHN_RP_NAME", "PolyStatus")}


# argon2-cffi's named parameter sets. RFC_9106_LOW_MEMORY (t=3, m=64 MiB, p=4) is its default
# and ours; CHEAPEST (t=1, m=8 KiB) is the one argon2-cffi offers for test suites, where
# hundreds of sign-ins would otherwise spend minutes of CPU proving nothing more. Still
# argon2id either way; a stored hash made with other parameters is rehashed at the next sign-in.
PASSWORD_HASH_PROFILES = ("RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST")


def password_hash_profile(environ: Mapping[str, str] | None = None) -> str:
    """PASSWORD_HASH_PROFILE, read when users.accounts.flows builds its one hasher."""
    environ = os.environ if environ is None else environ
    value = s.env_str(environ, "PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY")
    if value not in PASSWORD_HASH_PROFILES:
        raise s.SettingsError(f"PASSWORD_HASH_PROFILE is one of {', '.join(PASSWORD_HASH_PROFILES)}; got {value}")
    return value


def load(environ: Mapping[str, str] | None = None) -> dict:
    environ = os.environ if environ is None else environ
    config = s.common(environ, port=5002, redis_db=2)
    config.update({
        "ACCESS_TOKEN_TTL": s.env_int(environ, "ACCESS_TOKEN_TTL", 900, minimum=30, maximum=86400),
        "REFRESH_TOKEN_TTL": s.env_int(environ, "REFRESH_TOKEN_TTL", 30 * 86400, minimum=300),
        "SERVICE_TOKEN_TTL": s.env_int(environ, "SERVICE_TOKEN_TTL", 600, minimum=30, maximum=86400),
        "SERVICE_CLIENTS": _clients(s.env_list(environ, "SERVICE_CLIENTS", [])),
        "SIGNING_KEY": s.env_secret(environ, "SIGNING_KEY"),
        "LOGIN_LIMIT_PER_ACCOUNT": s.env_int(environ, "LOGIN_LIMIT_PER_ACCOUNT", 10, minimum=1),
        "LOGIN_LIMIT_PER_ADDRESS": s.env_int(environ, "LOGIN_LIMIT_PER_ADDRESS", 30, minimum=1),
        "REGISTER_LIMIT_PER_ADDRESS": s.env_int(environ, "REGISTER_LIMIT_PER_ADDRESS", 10, minimum=1),
        # The public origin (the frontend, or the edge in front of it): emailed links point
        # there, the session cookie lives there, and cookie-authenticated writes must come from it.
        "PUBLIC_URL": s.env_url(environ, "PUBLIC_URL", "http://127.0.0.1:8080", schemes=("http", "https")).rstrip("/"),
        "COMMS_URL": s.env_url(environ, "COMMS_URL", "http://127.0.0.1:5003", schemes=("http", "https")).rstrip("/"),
        "SIGNUP_TOKEN_TTL": s.env_int(environ, "SIGNUP_TOKEN_TTL", 86400, minimum=300, maximum=7 * 86400),
        "RESET_TOKEN_TTL": s.env_int(environ, "RESET_TOKEN_TTL", 1800, minimum=300, maximum=86400),
        "SIGNUP_LIMIT_PER_ADDRESS": s.env_int(environ, "SIGNUP_LIMIT_PER_ADDRESS", 10, minimum=1),
        "RESET_LIMIT_PER_ADDRESS": s.env_int(environ, "RESET_LIMIT_PER_ADDRESS", 10, minimum=1),
        "EMAIL_LINKS_PER_ADDRESS": s.env_int(environ, "EMAIL_LINKS_PER_ADDRESS", 5, minimum=1),
        "SESSION_COOKIE_PATH": s.env_str(environ, "SESSION_COOKIE_PATH", "/api/users/auth"),
        # The audit trail (users/audit) is kept this long; older entries are dropped as new ones come.
        "AUDIT_RETENTION_DAYS": s.env_int(environ, "AUDIT_RETENTION_DAYS", 365, minimum=1, maximum=3650),
        # The streams the audit consumer reads (each service's own database); users' own is REDIS_URL.
        **{f"{name}_EVENTS_URL": s.env_redis_url(environ, f"{name}_EVENTS_URL", f"redis://127.0.0.1:6379/{db}")
           for name, db in (("INCIDENTS", 1), ("COMMS", 3), ("CSP_STATUS", 4), ("FEATURE_FLAGS", 5))},
        "REFRESH_REUSE_GRACE": s.env_int(environ, "REFRESH_REUSE_GRACE", 30, minimum=0, maximum=300),
        # e.g. "staff,admin": those roles act as plain users until they turn two-factor sign-in on
        "TOTP_REQUIRED_ROLES": _roles(s.env_list(environ, "TOTP_REQUIRED_ROLES", [])),
    })
    config.update(oidc(environ, config["PUBLIC_URL"]))
    config.update(webauthn(environ, config["PUBLIC_URL"]))
    # Secure whenever the public origin is HTTPS (a plain-HTTP development origin could not
    # store a Secure cookie at all).
    config["SESSION_COOKIE_SECURE"] = s.env_bool(environ, "SESSION_COOKIE_SECURE",
                                                 config["PUBLIC_URL"].startswith("https://"))
    return config
