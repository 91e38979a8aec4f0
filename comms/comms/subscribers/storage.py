"""Email-only subscribers in Redis.

``email-subscriber:{id}`` (hash: id, email, lang, components as JSON, whole_page, status
pending|confirmed, created_at, confirmed_at), ``email-subscriber-of:{email}`` (id, one
subscriber per address), ``email-subscribers`` (zset by creation, for the admin list).
Confirmed subscribers are indexed for planning: ``email-subscribers:page`` (set of ids,
whole page) and ``email-subscribers:component:{id}``. Confirmation tokens are stored by their
SHA-256: ``email-subscriber-token:{digest}`` (JSON), expiring with the link.
"""
from __future__ import annotations

import hashlib
import json

import redis


def _token_key(token: str) -> str:
    return f"email-subscriber-token:{hashlib.sha256(token.encode()).hexdigest()}"


def get(r: redis.Redis, subscriber_id: str) -> dict | None:
    raw = r.hgetall(f"email-subscriber:{subscriber_id}")
    if not raw:
        return None
    return {**raw, "components": json.loads(raw.get("components") or "[]")}


def id_for_email(r: redis.Redis, email: str) -> str | None:
    return r.get(f"email-subscriber-of:{email}")


def save_request(r: redis.Redis, subscriber: dict, token: str, request: dict, *, ttl_s: int, created_ts: float) -> None:
    """A new (pending) subscriber, or a known one asking again; the token carries what is asked."""
    pipe = r.pipeline(transaction=True)
    if not r.exists(f"email-subscriber:{subscriber['id']}"):
        pipe.hset(f"email-subscriber:{subscriber['id']}",
                  mapping={**subscriber, "components": json.dumps(subscriber["components"])})
        pipe.set(f"email-subscriber-of:{subscriber['email']}", subscriber["id"])
        pipe.zadd("email-subscribers", {subscriber["id"]: created_ts})
    pipe.set(_token_key(token), json.dumps(request), ex=ttl_s + 60)
    pipe.execute()


def take_token(r: redis.Redis, token: str) -> dict | None:
    raw = r.getdel(_token_key(token))
    return json.loads(raw) if raw else None


def _unindex(pipe, subscriber: dict) -> None:
    pipe.srem("email-subscribers:page", subscriber["id"])
    for component in subscriber["components"]:
        pipe.srem(f"email-subscribers:component:{component}", subscriber["id"])


def confirm(r: redis.Redis, subscriber: dict, *, components: list[str], lang: str, at: str) -> None:
    """Confirmed with what the link asked for: the whole page (no components) or some."""
    pipe = r.pipeline(transaction=True)
    _unindex(pipe, subscriber)
    pipe.hset(f"email-subscriber:{subscriber['id']}", mapping={
        "components": json.dumps(components), "lang": lang, "status": "confirmed", "confirmed_at": at})
    if components:
        for component in components:
            pipe.sadd(f"email-subscribers:component:{component}", subscriber["id"])
    else:
        pipe.sadd("email-subscribers:page", subscriber["id"])
    pipe.execute()


def remove(r: redis.Redis, subscriber: dict) -> None:
    pipe = r.pipeline(transaction=True)
    _unindex(pipe, subscriber)
    pipe.delete(f"email-subscriber:{subscriber['id']}", f"email-subscriber-of:{subscriber['email']}")
    pipe.zrem("email-subscribers", subscriber["id"])
    pipe.execute()


def recipients(r: redis.Redis, components: list[str], *, whole_page_only: bool = False) -> list[dict]:
    """Confirmed subscribers to any of ``components`` and to the whole page."""
    ids = set(r.smembers("email-subscribers:page"))
    if not whole_page_only:
        for component in components:
            ids |= r.smembers(f"email-subscribers:component:{component}")
    pipe = r.pipeline(transaction=False)
    ordered = sorted(ids)
    for subscriber_id in ordered:
        pipe.hmget(f"email-subscriber:{subscriber_id}", "id", "email", "lang", "status")
    return [{"id": row[0], "email": row[1], "lang": row[2]} for row in pipe.execute() if row[0] and row[3] == "confirmed"]


def page(r: redis.Redis, offset: int, limit: int) -> tuple[list[dict], int]:
    ids = r.zrevrange("email-subscribers", offset, offset + limit - 1)
    return [s for s in (get(r, i) for i in ids) if s], r.zcard("email-subscribers")
