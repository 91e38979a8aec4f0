"""Banners in Redis: ``banner:{id}`` (JSON), ``banners`` (zset by creation time)."""
from __future__ import annotations

import json

import redis


def get(r: redis.Redis, banner_id: str) -> dict | None:
    raw = r.get(f"banner:{banner_id}")
    return json.loads(raw) if raw else None


def save(r: redis.Redis, banner: dict, created_ts: float) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.set(f"banner:{banner['id']}", json.dumps(banner))
    pipe.zadd("banners", {banner["id"]: created_ts})
    pipe.execute()


def all_banners(r: redis.Redis) -> list[dict]:
    ids = r.zrevrange("banners", 0, -1)
    if not ids:
        return []
    return [json.loads(raw) for raw in r.mget([f"banner:{i}" for i in ids]) if raw]


def delete(r: redis.Redis, banner_id: str) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.delete(f"banner:{banner_id}")
    pipe.zrem("banners", banner_id)
    pipe.execute()
