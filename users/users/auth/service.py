"""Token rules: claims, key identifiers, what the JWKS publishes. Pure functions."""
from __future__ import annotations

import hashlib
import uuid

ALGORITHM = "EdDSA"


def access_claims(user: dict, *, issuer: str, now: float, ttl_s: int, session_id: str = "") -> dict:
    # ``sid`` names the sign-in (the refresh-token family) the token came from, so "change my
    # password" can end every other session and keep this one.
    return {
        "iss": issuer, "sub": user["id"], "email": user["email"], "role": user["role"],
        "name": user.get("display_name", ""), "iat": int(now), "exp": int(now) + ttl_s,
        "jti": uuid.uuid4().hex, "sid": session_id,
    }


def refresh_verdict(*, uses: int, used_at: float, now: float, grace_s: int) -> str:
    """What a refresh-token exchange means: ``fresh`` (first use), ``grace`` (used again within
    a few seconds: two tabs of one browser refreshing together, or an answer lost on the way),
    ``reused`` (a replay later on: the token was stolen or a client is broken)."""
    if uses <= 1:
        return "fresh"
    return "grace" if now - used_at <= grace_s else "reused"


def service_claims(client_id: str, *, issuer: str, now: float, ttl_s: int) -> dict:
    return {"iss": issuer, "sub": f"service:{client_id}", "role": "service", "iat": int(now),
            "exp": int(now) + ttl_s, "jti": uuid.uuid4().hex}


def kid_for(public_bytes: bytes) -> str:
    return hashlib.sha256(public_bytes).hexdigest()[:16]


def published_kids(keys: dict[str, dict], *, now: float, access_ttl_s: int) -> list[str]:
    """A retired key stays published until every token it signed has expired."""
    return [kid for kid, entry in keys.items()
            if entry.get("retired_at") is None or now < entry["retired_at"] + access_ttl_s + 60]
