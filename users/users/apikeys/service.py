"""API key rules: secrets, scopes under the owner's role, what introspection answers. Pure.

Why a fast hash (SHA-256) and not argon2 like passwords: a password is short and chosen by a
person, so a stolen hash is attacked with a dictionary, and only a slow hash makes that
costly. A key is 256 random bits made here: no dictionary exists, and 2^256 guesses stay out of
reach at any hash speed. A slow hash would only make every uncached check cost ~50 ms. The
database thus holds nothing that works as a key, and a key is found by its digest in one read.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from polystatus.clock import isoformat
from polystatus.errors import Forbidden, Invalid
from polystatus.roles import API_KEY_PREFIX, KEY_SERVICES, RANK, SCOPES

SECRET_BYTES = 32
VISIBLE = len(API_KEY_PREFIX) + 8  # "psk_" and 8 characters: enough to tell keys apart in a list
KINDS = ("personal", "service")

# What each role may put in a key: reading anything the role reads, writing where the role has
# write routes. A person's own account (profile, follows, subscriptions) is a users write for
# everyone; staff write incidents, comms (banners, announcements, acks) and csp-status (run a
# check); only admins write feature flags.
_READS = {f"{service}:read" for service in KEY_SERVICES}
CEILING = {
    "user": _READS | {"users:write"},
    "staff": _READS | {"users:write", "incidents:write", "comms:write", "csp-status:write"},
    "admin": set(SCOPES),
}


def new_secret() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key_id() -> str:
    return secrets.token_hex(8)


def check_scopes(*, scopes: list[str], role: str) -> list[str]:
    """The scopes, sorted and unique, refused when one exceeds what ``role`` may hold."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise Invalid("Unknown scope.", details={"scopes": [f"Not a scope: {', '.join(unknown)}."]})
    if not scopes:
        raise Invalid("A key needs at least one scope.", details={"scopes": ["Pick at least one scope."]})
    above = sorted(set(scopes) - CEILING[role])
    if above:
        raise Forbidden(f"The role {role} cannot hold {', '.join(above)}.", code="scope_above_role",
                        details={"scopes": above, "role": role})
    return sorted(set(scopes))


def check_service_key(*, creator_role: str, role: str | None) -> str:
    if role is None:
        raise Invalid("A service key needs a role.", details={"role": ["Required for a service key."]})
    if RANK[role] > RANK[creator_role]:
        raise Forbidden("A key cannot have a higher role than its creator.", code="scope_above_role")
    return role


def new_key(*, key_id: str, kind: str, name: str, secret: str, scopes: list[str], owner_id: str, role: str,
            created_by: str, now: datetime, expires_in_days: int | None) -> dict:
    return {
        "id": key_id, "kind": kind, "name": name, "prefix": secret[:VISIBLE], "scopes": ",".join(scopes),
        # A personal key's role is read from its owner at each check; a service key's is its own.
        "owner_id": owner_id, "role": role if kind == "service" else "", "created_by": created_by,
        "created_at": isoformat(now),
        "expires_at": isoformat(now + timedelta(days=expires_in_days)) if expires_in_days else "",
        "last_used_at": "",
    }


def expires_in(record: dict, *, now: datetime) -> float | None:
    if not record.get("expires_at"):
        return None
    return (datetime.fromisoformat(record["expires_at"].replace("Z", "+00:00")) - now).total_seconds()


def introspection(record: dict | None, *, owner: dict | None, now: datetime) -> dict:
    """What users answers a service asking about a key (RFC 7662's ``active`` shape).

    The owner's role is read now, not at creation: a person demoted keeps keys that can do only
    what the new role can, whatever scopes they were given (the ceiling checked again)."""
    if record is None:
        return {"active": False, "reason": "api_key_invalid"}
    left = expires_in(record, now=now)
    if left is not None and left <= 0:
        return {"active": False, "reason": "api_key_expired"}
    if record["kind"] == "personal":
        if owner is None:
            return {"active": False, "reason": "api_key_invalid"}
        role, sub, email = owner["role"], owner["id"], owner.get("email")
    else:
        role, sub, email = record["role"], f"api-key:{record['id']}", None
    scopes = sorted(set(scopes_of(record)) & CEILING[role])
    return {"active": True, "key_id": record["id"], "kind": record["kind"], "sub": sub, "role": role,
            "email": email, "scopes": scopes, "expires_in": left}


def scopes_of(record: dict) -> list[str]:
    return [scope for scope in record.get("scopes", "").split(",") if scope]


def public_view(record: dict, *, owner_email: str | None = None) -> dict:
    """A key as listed: never its digest (and the secret is not stored at all)."""
    return {"id": record["id"], "kind": record["kind"], "name": record["name"], "prefix": record["prefix"],
            "scopes": scopes_of(record), "role": record.get("role") or None, "owner_id": record.get("owner_id") or None,
            "owner_email": owner_email, "created_by": record.get("created_by"), "created_at": record["created_at"],
            "expires_at": record.get("expires_at") or None, "last_used_at": record.get("last_used_at") or None}
