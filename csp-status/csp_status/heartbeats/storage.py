"""Heartbeats in Redis: ``heartbeat:{id}`` (config JSON), ``heartbeats`` (zset by name),
``heartbeat-state:{id}`` (JSON), ``heartbeat-pings:{id}`` (list of recent pings, capped),
``heartbeat-deadlines`` (zset id -> when it goes down), ``app:{app_id}`` (mega_test_api id)."""
from __future__ import annotations

import json

import redis

MAX_PINGS = 100


def get(r: redis.Redis, heartbeat_id: str) -> dict | None:
    raw = r.get(f"heartbeat:{heartbeat_id}")
    return json.loads(raw) if raw else None


def save(r: redis.Redis, heartbeat: dict) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.set(f"heartbeat:{heartbeat['id']}", json.dumps(heartbeat))
    pipe.zadd("heartbeats", {heartbeat["id"]: 0})
    pipe.execute()


def all_heartbeats(r: redis.Redis) -> list[dict]:
    ids = r.zrange("heartbeats", 0, -1)
    if not ids:
        return []
    return sorted((json.loads(raw) for raw in r.mget([f"heartbeat:{i}" for i in ids]) if raw),
                  key=lambda h: h["name"])


def state(r, heartbeat_id: str) -> dict:
    raw = r.get(f"heartbeat-state:{heartbeat_id}")
    return json.loads(raw) if raw else {"state": "new", "last_ping": None, "last_start": None, "pings": 0}


def pings(r: redis.Redis, heartbeat_id: str, limit: int = 20) -> list[dict]:
    return [json.loads(raw) for raw in r.lrange(f"heartbeat-pings:{heartbeat_id}", 0, limit - 1)]


def delete(r: redis.Redis, heartbeat_id: str) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.delete(f"heartbeat:{heartbeat_id}", f"heartbeat-state:{heartbeat_id}", f"heartbeat-pings:{heartbeat_id}")
    pipe.zrem("heartbeats", heartbeat_id)
    pipe.zrem("heartbeat-deadlines", heartbeat_id)
    pipe.execute()


def overdue(r: redis.Redis, now: float) -> list[str]:
    return r.zrangebyscore("heartbeat-deadlines", "-inf", now)
