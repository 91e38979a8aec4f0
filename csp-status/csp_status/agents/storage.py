"""Agents in Redis: ``agent:{id}`` (JSON: region, name, token hash, created), ``agents`` (zset
id -> 0), ``agent-token:{sha256}`` -> id (the token itself is never stored), and ``agents-seen``
(hash id -> JSON of the last contact: time, version, results buffered on the agent)."""
from __future__ import annotations

import json

import redis


def get(r: redis.Redis, agent_id: str) -> dict | None:
    raw = r.get(f"agent:{agent_id}")
    return json.loads(raw) if raw else None


def save(r: redis.Redis, agent: dict) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.set(f"agent:{agent['id']}", json.dumps(agent))
    pipe.zadd("agents", {agent["id"]: 0})
    pipe.set(f"agent-token:{agent['token_hash']}", agent["id"])
    pipe.execute()


def by_token_hash(r: redis.Redis, token_hash: str) -> dict | None:
    agent_id = r.get(f"agent-token:{token_hash}")
    return get(r, agent_id) if agent_id else None


def all_agents(r: redis.Redis) -> list[dict]:
    ids = r.zrange("agents", 0, -1)
    if not ids:
        return []
    seen = r.hmget("agents-seen", ids)
    agents = []
    for raw, contact in zip(r.mget([f"agent:{i}" for i in ids]), seen, strict=True):
        if raw:
            agents.append({**json.loads(raw), "last_contact": json.loads(contact) if contact else None})
    return sorted(agents, key=lambda a: (a["region"], a["id"]))


def delete(r: redis.Redis, agent: dict) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.delete(f"agent:{agent['id']}", f"agent-token:{agent['token_hash']}")
    pipe.zrem("agents", agent["id"])
    pipe.hdel("agents-seen", agent["id"])
    pipe.execute()


def touch(r: redis.Redis, agent_id: str, contact: dict) -> None:
    r.hset("agents-seen", agent_id, json.dumps(contact))
