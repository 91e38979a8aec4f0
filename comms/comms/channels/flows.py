"""Channel flows (no Flask): every write of a channel (API and CHANNELS_CONFIG file) goes through
``create``/``update`` here, so a file cannot hold a channel the API would refuse; "send a test"
now, through the same sender as real deliveries."""
from __future__ import annotations

import logging
import secrets
from datetime import datetime

import redis
from polystatus.clock import isoformat
from polystatus.errors import NotFound

from .. import config_file
from ..deliveries import senders
from . import service, storage

log = logging.getLogger("comms.channels")


def create(r: redis.Redis, data: dict, *, channel_id: str | None = None) -> dict:
    service.validate(data)
    channel = {"id": channel_id or secrets.token_hex(6), **data}
    storage.save(r, channel)
    return channel


def update(r: redis.Redis, channel: dict, changes: dict) -> dict:
    service.validate(changes)
    channel = {**channel, **changes}
    storage.save(r, channel)
    return channel


def declare(r: redis.Redis, data: dict, *, write: bool = True) -> str:
    """Make the channel named ``data["name"]`` match ``data`` (validated by config_file):
    created, updated, or unchanged. Fields the file leaves out keep their schema defaults, so
    the file, not an earlier API edit, says what a declared channel is."""
    channel_id = service.declared_id(data["name"])
    existing = storage.get(r, channel_id)
    if existing is None:
        if write:
            create(r, data, channel_id=channel_id)
        return "created"
    if {**existing, **data} == existing:
        return "unchanged"
    if write:
        update(r, existing, data)
    return "updated"


def apply_config(r: redis.Redis, text: str, *, read_secret) -> dict:
    """Apply a CHANNELS_CONFIG file: all of it, or nothing when any channel is invalid."""
    channels = config_file.load(text, read_secret=read_secret)
    outcomes = [declare(r, data) for data in channels]
    return {"channels": len(channels), **{k: outcomes.count(k) for k in ("created", "updated", "unchanged")}}


def send_test(r: redis.Redis, config: dict, now: datetime, channel_id: str) -> dict:
    """Send a test message at once and say how it went; a failure is an answer, not an error,
    so the admin reads the channel's own reason. Log-only channels log it, as they would a real one."""
    channel = storage.get(r, channel_id)
    if channel is None:
        raise NotFound("No such channel.")
    message = service.test_message(channel, config["PUBLIC_URL"], isoformat(now))
    if config["ONLY_LOG"] or channel.get("log_only"):
        log.info("only_log: %s: %s", channel["name"], message["title"])
        return {"ok": True, "mode": "logged", "error": None, "at": isoformat(now)}
    try:
        # A Sentry channel is sent by comms itself (Apprise has no Sentry), from an event of its own.
        sentry = service.sentry_test_event(message, event_id=secrets.token_hex(16)) if service.is_sentry(channel["url"]) else None
        senders.send_channel(channel["url"], message["title"], message["text"], message["webhook"],
                             timeout=config["OUTBOUND_TIMEOUT"], sentry_payload=sentry)
    except senders.SendError as exc:
        return {"ok": False, "mode": "sent", "error": str(exc), "at": isoformat(now)}
    return {"ok": True, "mode": "sent", "error": None, "at": isoformat(now)}
