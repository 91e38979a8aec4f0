"""Incidents in Redis.

``incident:{id}`` (JSON with its timeline), ``incidents`` (zset by creation time),
``incidents:open`` (set), ``component-incidents:{component}`` (zset by creation time).
"""
from __future__ import annotations

import json

import redis
from polystatus.redis_store import commit


def get(r: redis.Redis, incident_id: str) -> dict | None:
    raw = r.get(f"incident:{incident_id}")
    return json.loads(raw) if raw else None


def queue_save(pipe, incident: dict, created_ts: float, *, is_open: bool) -> None:
    """Save the incident and its indexes; ``is_open`` puts it in (or takes it out of) the open ones."""
    pipe.set(f"incident:{incident['id']}", json.dumps(incident))
    pipe.zadd("incidents", {incident["id"]: created_ts})
    if is_open:
        pipe.sadd("incidents:open", incident["id"])
    else:
        pipe.srem("incidents:open", incident["id"])
    for component_id in incident.get("components", {}):
        pipe.zadd(f"component-incidents:{component_id}", {incident["id"]: created_ts})


def replace(r: redis.Redis, incident: dict) -> None:
    """Save an incident whose indexes do not change (a flag on it)."""
    pipe = r.pipeline(transaction=True)
    pipe.set(f"incident:{incident['id']}", json.dumps(incident))
    commit(pipe)


def queue_unlink_components(pipe, incident_id: str, component_ids) -> None:
    """An edit took these components off the incident: it no longer shows in their history."""
    for component_id in component_ids:
        pipe.zrem(f"component-incidents:{component_id}", incident_id)


def queue_delete(pipe, incident: dict) -> None:
    pipe.delete(f"incident:{incident['id']}")
    pipe.zrem("incidents", incident["id"])
    pipe.srem("incidents:open", incident["id"])
    queue_unlink_components(pipe, incident["id"], incident.get("components", {}))


def many(r: redis.Redis, ids: list[str]) -> list[dict]:
    if not ids:
        return []
    return [json.loads(raw) for raw in r.mget([f"incident:{i}" for i in ids]) if raw]


def open_incidents(r: redis.Redis) -> list[dict]:
    return sorted(many(r, list(r.smembers("incidents:open"))), key=lambda i: i["created_at"], reverse=True)


def newest(r: redis.Redis, offset: int, limit: int, *, component: str | None = None,
           since_ts: float | None = None, until_ts: float | None = None) -> tuple[list[dict], int]:
    key = f"component-incidents:{component}" if component else "incidents"
    low = since_ts if since_ts is not None else "-inf"
    high = until_ts if until_ts is not None else "+inf"
    ids = r.zrevrangebyscore(key, high, low)
    return many(r, ids), len(ids)


def touching_component(r: redis.Redis, component_id: str, *, since_ts: float) -> list[dict]:
    # An incident created before the window may still be open in it: take a margin of 30 days.
    ids = r.zrangebyscore(f"component-incidents:{component_id}", since_ts - 30 * 86400, "+inf")
    return many(r, ids)
