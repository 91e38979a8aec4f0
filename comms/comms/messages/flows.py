"""Queueing an account email (no Flask): a delivery like any other (retried, dead-lettered,
logged), marked ``redact`` so its text, which holds a single-use link, is dropped once sent."""
from __future__ import annotations

import secrets
from datetime import datetime

import redis
from polystatus.clock import isoformat
from polystatus.redis_store import atomic

from ..deliveries import storage as delivery_storage
from . import service


def queue(r: redis.Redis, *, template: str, to: str, lang: str, link: str, now: datetime) -> dict:
    msg = service.render(template, lang, link)
    delivery = {"id": f"msg-{secrets.token_hex(10)}", "event_id": None, "event_type": f"message.{template}",
                "kind": "email", "target": to, "subject": msg["subject"], "text": msg["text"], "html": msg["html"],
                "status": "pending", "attempts": 0, "last_error": None, "created_at": isoformat(now),
                "updated_at": isoformat(now), "redact": True}
    with atomic(r) as pipe:
        delivery_storage.queue_create(pipe, delivery, now.timestamp())
    return delivery
