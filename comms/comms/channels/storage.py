"""Channels in Redis: ``channel:{id}`` (JSON, with the secret URL), ``channels`` (set)."""
from __future__ import annotations

import redis
from polystatus.records import Records

CHANNELS = Records("channel", "channels")
get, save, delete = CHANNELS.get, CHANNELS.save, CHANNELS.delete


def all_channels(r: redis.Redis) -> list[dict]:
    return sorted(CHANNELS.all(r), key=lambda c: c["name"])
