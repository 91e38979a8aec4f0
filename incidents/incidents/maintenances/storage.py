"""Maintenances in Redis: ``maintenance:{id}`` (JSON), ``maintenances`` (zset by scheduled_for)."""
from __future__ import annotations

import json

import redis


def get(r: redis.Redis, maintenance_id: str) -> dict | None:
    raw = r.get(f"maintenance:{maintenance_id}")
    return json.loads(raw) if raw else None


def queue_save(pipe, maintenance: dict, scheduled_ts: float) -> None:
    pipe.set(f"maintenance:{maintenance['id']}", json.dumps(maintenance))
    pipe.zadd("maintenances", {maintenance["id"]: scheduled_ts})


def all_maintenances(r: redis.Redis) -> list[dict]:
    ids = r.zrange("maintenances", 0, -1)
    if not ids:
        return []
    return [json.loads(raw) for raw in r.mget([f"maintenance:{i}" for i in ids]) if raw]


def delete(r: redis.Redis, maintenance_id: str) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.delete(f"maintenance:{maintenance_id}")
    pipe.zrem("maintenances", maintenance_id)
    pipe.execute()
