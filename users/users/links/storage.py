"""Emailed-link tokens in Redis, stored by the SHA-256 of their value (a copy of the database
holds no usable link): ``link:{kind}:{digest}`` (JSON), expiring with the link."""
from __future__ import annotations

import hashlib
import json

import redis


def _key(kind: str, token: str) -> str:
    return f"link:{kind}:{hashlib.sha256(token.encode()).hexdigest()}"


def save(r: redis.Redis, kind: str, token: str, record: dict, *, ttl_s: int) -> None:
    # A minute past the link's own expiry: the record is still there to say "expired", not
    # "unknown", to someone a little late.
    r.set(_key(kind, token), json.dumps(record), ex=ttl_s + 60)


def peek(r: redis.Redis, kind: str, token: str) -> dict | None:
    raw = r.get(_key(kind, token))
    return json.loads(raw) if raw else None


def consume(r: redis.Redis, kind: str, token: str) -> dict | None:
    """Take the link's record and delete it in one command: of two uses at once, one wins."""
    raw = r.getdel(_key(kind, token))
    return json.loads(raw) if raw else None
