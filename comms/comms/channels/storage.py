"""Channels in Redis: ``channel:{id}`` (JSON, with the secret URL), ``channels`` (set)."""
from __future__ import annotations

import json

import redis


def get(r: redis.Redis, channel_id: str) -> dict | None:
    raw = r.get(f"channel:{channel_id}")
    return json.loads(raw) if raw else None


def save(r: redis.Redis, channel: dict) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.set(f"channel:{channel['id']}", json.dumps(channel))
    pipe.sadd("channels", channel["id"])
    pipe.execute()


def all_channels(r: redis.Redis) -> list[dict]:
    ids = sorted(r.smembers("channels"))
    if not ids:
        return []
    return sorted((json.loads(raw) for raw in r.mget([f"channel:{i}" for i in ids]) if raw), key=lambda c: c["name"])


def delete(r: redis.Redis, channel_id: str) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.delete(f"channel:{channel_id}")
    pipe.srem("channels", channel_id)
    pipe.execute()
