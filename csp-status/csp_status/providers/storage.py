"""Providers in Redis: ``provider:{id}`` (config JSON), ``providers`` (zset by name),
``provider-state:{id}`` (last result JSON), ``provider-history:{id}`` (zset of JSON changes)."""
from __future__ import annotations

import json

import redis
from polystatus.records import Records

PROVIDERS = Records("provider", "providers", ordered=True)  # scored 0: listed by name below
get = PROVIDERS.get


def save(r: redis.Redis, provider: dict) -> None:
    PROVIDERS.save(r, provider, 0, durable=False)


def all_providers(r: redis.Redis) -> list[dict]:
    return sorted(PROVIDERS.all(r), key=lambda p: p["name"].lower())


def delete(r: redis.Redis, provider_id: str) -> None:
    pipe = r.pipeline(transaction=True)
    PROVIDERS.queue_delete(pipe, provider_id)
    pipe.delete(f"provider-state:{provider_id}", f"provider-history:{provider_id}")
    pipe.execute()


def state(r: redis.Redis, provider_id: str) -> dict | None:
    raw = r.get(f"provider-state:{provider_id}")
    return json.loads(raw) if raw else None


def queue_state(pipe, provider_id: str, value: dict) -> None:
    pipe.set(f"provider-state:{provider_id}", json.dumps(value))


def queue_history(pipe, provider_id: str, entry: dict, ts: float) -> None:
    pipe.zadd(f"provider-history:{provider_id}", {json.dumps(entry): ts})
    pipe.zremrangebyscore(f"provider-history:{provider_id}", "-inf", ts - 90 * 86400)


def history(r: redis.Redis, provider_id: str, limit: int) -> list[dict]:
    return [json.loads(raw) for raw in r.zrevrange(f"provider-history:{provider_id}", 0, limit - 1)]
