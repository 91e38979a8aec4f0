"""Components and groups in Redis.

``component:{id}`` (JSON), ``components`` (zset by position), ``group:{id}`` (JSON), ``groups``
(zset by position), ``holders:{id}`` (hash holder -> status), ``component-history:{id}``
(zset of "ts|status" by time, the record uptime is computed from).
"""
from __future__ import annotations

import json

import redis
from polystatus import events

from . import service

SERVICE = "incidents"


def get(r: redis.Redis, component_id: str) -> dict | None:
    raw = r.get(f"component:{component_id}")
    return json.loads(raw) if raw else None


def all_components(r: redis.Redis) -> list[dict]:
    ids = r.zrange("components", 0, -1)
    if not ids:
        return []
    return [json.loads(raw) for raw in r.mget([f"component:{i}" for i in ids]) if raw]


def save(r: redis.Redis, component: dict, *, pipe=None) -> None:
    target = pipe or r
    target.set(f"component:{component['id']}", json.dumps(component))
    target.zadd("components", {component["id"]: component.get("position", 0)})


def delete(r: redis.Redis, component_id: str) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.delete(f"component:{component_id}", f"holders:{component_id}")
    pipe.zrem("components", component_id)
    pipe.execute()


def get_group(r: redis.Redis, group_id: str) -> dict | None:
    raw = r.get(f"group:{group_id}")
    return json.loads(raw) if raw else None


def all_groups(r: redis.Redis) -> list[dict]:
    ids = r.zrange("groups", 0, -1)
    if not ids:
        return []
    return [json.loads(raw) for raw in r.mget([f"group:{i}" for i in ids]) if raw]


def save_group(r: redis.Redis, group: dict) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.set(f"group:{group['id']}", json.dumps(group))
    pipe.zadd("groups", {group["id"]: group.get("position", 0)})
    pipe.execute()


def delete_group(r: redis.Redis, group_id: str) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.delete(f"group:{group_id}")
    pipe.zrem("groups", group_id)
    pipe.execute()


def history(r: redis.Redis, component_id: str, since_ts: float = 0) -> list[tuple[float, str]]:
    """The whole record (needed to know the status at the start of the window)."""
    rows = r.zrange(f"component-history:{component_id}", 0, -1, withscores=True)
    return [(score, member.split("|", 1)[1]) for member, score in rows]


def record(r: redis.Redis, component_id: str, status: str, ts: float, *, pipe=None) -> None:
    (pipe or r).zadd(f"component-history:{component_id}", {f"{ts:.3f}|{status}": ts})


def apply_holders(r: redis.Redis, changes: dict[str, dict[str, str | None]], *, now_ts: float, now_iso: str,
                  extra=None, incident_id: str | None = None) -> list[dict]:
    """Set or clear holders on components and store the resulting statuses, atomically.

    ``changes`` maps component id -> {holder: status or None (to clear)}. ``extra(pipe)`` queues
    more writes (the incident itself, its event) in the same MULTI, so the incident and the
    component statuses it causes, and their events, land together or not at all.
    Returns the component.status_changed payloads.
    """
    keys = [f"holders:{cid}" for cid in changes] + [f"component:{cid}" for cid in changes]
    while True:
        with r.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(*keys) if keys else None
                published = []
                plans = []
                for component_id, holder_changes in changes.items():
                    raw = pipe.get(f"component:{component_id}")
                    if raw is None:
                        continue
                    component = json.loads(raw)
                    holders = pipe.hgetall(f"holders:{component_id}")
                    for holder, status in holder_changes.items():
                        if status is None:
                            holders.pop(holder, None)
                        else:
                            holders[holder] = status
                    plans.append((component, holder_changes, service.effective_status(holders)))
                pipe.multi()
                for component, holder_changes, new_status in plans:
                    cid = component["id"]
                    for holder, status in holder_changes.items():
                        if status is None:
                            pipe.hdel(f"holders:{cid}", holder)
                        else:
                            pipe.hset(f"holders:{cid}", holder, status)
                    old_status = component["status"]
                    if new_status != old_status:
                        component.update(status=new_status, updated_at=now_iso)
                        save(r, component, pipe=pipe)
                        record(r, cid, new_status, now_ts, pipe=pipe)
                        payload = {"component_id": cid, "name": component["name"], "old_status": old_status,
                                   "new_status": new_status, "incident_id": incident_id, "at": now_iso}
                        events.publish(pipe, SERVICE, "component.status_changed", payload)
                        published.append(payload)
                if extra:
                    extra(pipe)
                pipe.execute()
                return published
            except redis.WatchError:
                continue
