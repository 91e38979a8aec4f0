"""Rules of emailed links. Pure functions."""
from __future__ import annotations

import secrets

from polystatus.errors import ServiceError

LANGS = ("en", "fr")


class LinkInvalid(ServiceError):
    """Unknown, already used, or expired: said apart, so the page can offer the right next step
    (a used link is not a secret, and the token itself proves the person held the mail)."""

    status, code = 400, "link_invalid"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def expires(now_ts: float, ttl_s: int) -> float:
    return now_ts + ttl_s


def check_fresh(record: dict | None, *, now_ts: float) -> dict:
    if record is None:
        raise LinkInvalid("This link is not valid or was already used.")
    if now_ts >= record["expires_at"]:
        raise LinkInvalid("This link has expired; ask for a new one.", code="link_expired")
    return record


def link(public_url: str, page: str, token: str) -> str:
    # In the fragment: browsers send it to no server (no access log, no Referer holds it).
    return f"{public_url}/{page}#token={token}"
