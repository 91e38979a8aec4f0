"""Subscribing with only an email address, double opt-in (no Flask).

Asking again with the same address (to change components, or because the first mail got lost)
sends a new link and changes nothing until it is followed; the answer is the same whether the
address was subscribed or not, so the form does not reveal who is.
"""
from __future__ import annotations

import secrets
from datetime import datetime

import redis
from polystatus.clock import isoformat

from ..messages import flows as message_flows
from . import service, storage


def request(r: redis.Redis, config: dict, *, email: str, components: list[str], lang: str, now: datetime) -> None:
    email = service.normalise_email(email)
    existing_id = storage.id_for_email(r, email)
    subscriber = {"id": existing_id or service.new_id(now.timestamp()), "email": email, "lang": lang,
                  "components": [], "status": "pending", "created_at": isoformat(now), "confirmed_at": ""}
    token = secrets.token_urlsafe(32)
    ttl = config["SUBSCRIBE_TOKEN_TTL"]
    storage.save_request(r, subscriber, token, {"id": subscriber["id"], "components": sorted(set(components)),
                                                "lang": lang, "expires_at": now.timestamp() + ttl},
                         ttl_s=ttl, created_ts=now.timestamp())
    message_flows.queue(r, template="confirm_subscription", to=email, lang=lang,
                        link=service.confirm_link(config["PUBLIC_URL"], token), now=now)


def confirm(r: redis.Redis, *, token: str, now: datetime) -> dict:
    asked = service.check_fresh(storage.take_token(r, token), now_ts=now.timestamp())
    subscriber = storage.get(r, asked["id"])
    if subscriber is None:  # unsubscribed (deleted) between the request and the click
        raise service.LinkInvalid("This subscription was removed; subscribe again.")
    storage.confirm(r, subscriber, components=asked["components"], lang=asked["lang"], at=isoformat(now))
    return storage.get(r, asked["id"])


def unsubscribe(r: redis.Redis, subscriber_id: str) -> bool:
    subscriber = storage.get(r, subscriber_id)
    if subscriber is None:
        return False
    storage.remove(r, subscriber)
    return True
