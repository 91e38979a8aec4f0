"""Rules of email subscriptions. Pure functions."""
from __future__ import annotations

import secrets

from polystatus.errors import ServiceError


class LinkInvalid(ServiceError):
    status, code = 400, "link_invalid"


def new_id(now_ts: float) -> str:
    return f"es{int(now_ts * 1000):x}{secrets.token_hex(4)}"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_fresh(request: dict | None, *, now_ts: float) -> dict:
    if request is None:
        raise LinkInvalid("This link is not valid or was already used.")
    if now_ts >= request["expires_at"]:
        raise LinkInvalid("This link has expired; subscribe again.", code="link_expired")
    return request


def confirm_link(public_url: str, token: str) -> str:
    # In the fragment: no server logs it, no Referer carries it.
    return f"{public_url}/subscribe/confirm#token={token}"
