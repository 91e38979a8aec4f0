"""Components and groups in Redis.

``component:{id}`` (JSON), ``components`` (zset by position), ``group:{id}`` (JSON), ``groups``
(zset by position), ``holders:{id}`` (hash holder -> status), ``component-history:{id}``
(zset of "ts|status" by time, the record uptime is computed from).
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from polystatus.groupcommit import GroupCommit
from polystatus.records import Records
from polystatus.redis_store import commit

T = TypeVar("T")

COMPONENTS = Records("component", "components", ordered=True)  # scored by position
GROUPS = Records("group", "groups", ordered=True, noun="component group")
get, get_group, delete_group = COMPONENTS.get, GROUPS.get, GROUPS.delete


def claim_id(r: redis.Redis, component_id: str) -> bool:
    """Take ``component_id`` for a new component (False when one has it), before it is saved."""
    return bool(r.set(COMPONENTS.key(component_id), "{}", nx=True))


# Asked by a report that found no copy of the component's problem types in the reports' keys
# (an unknown component, or one stored before the copies): during an outage many may ask at
# once, so reports arriving together share the round trip (polystatus.groupcommit).
_READ = "return redis.call('GET', KEYS[1])"


def problem_types(r: redis.Redis, component_id: str) -> list[str] | None:
    """The problem types the component offers to reporters; None when there is no such component."""
    raw = _read_script(r)([COMPONENTS.key(component_id)], [])
    return None if raw is None else json.loads(raw).get("problem_types") or []


@functools.lru_cache(maxsize=8)
def _read_script(r: redis.Redis) -> GroupCommit:
    return GroupCommit(r, _READ)


def holders(r: redis.Redis, component_id: str) -> dict[str, str]:
    """holder -> the status it sets."""
    return r.hgetall(f"holders:{component_id}")


def holder_names(r: redis.Redis, component_id: str) -> list[str]:
    """Who sets the component's status: ``incident:{id}``, ``maintenance:{id}``, ``base``, ..."""
    return r.hkeys(f"holders:{component_id}")


def all_components(r: redis.Redis) -> list[dict]:
    return COMPONENTS.all(r)


def queue_save(pipe, component: dict) -> None:
    """Save a component on the caller's pipeline (components.flows.queue_save, which queues
    the reports' copy of its problem types with it)."""
    COMPONENTS.queue_save(pipe, component, component.get("position", 0))


def queue_delete(pipe, component_id: str) -> None:
    """Delete the component and its holders on the caller's pipeline."""
    COMPONENTS.queue_delete(pipe, component_id)
    pipe.delete(f"holders:{component_id}")


def change_component(r: redis.Redis, component_id: str, write: Callable[[Any, dict | None], T]) -> T:
    """A write that follows from the component as it is: the component is read under WATCH and
    handed to ``write(pipe, component)`` (None when there is none), whose queued writes are
    committed only if the component did not change meanwhile (redis-py's ``transaction()``
    then reads and runs ``write`` again). Returns what ``write`` returned."""
    key = COMPONENTS.key(component_id)

    def attempt(pipe) -> T:
        raw = pipe.get(key)
        pipe.multi()
        result = write(pipe, None if raw is None else json.loads(raw))
        pipe.execute()
        return result

    return r.transaction(attempt, key, value_from_callable=True)


def all_groups(r: redis.Redis) -> list[dict]:
    return GROUPS.all(r)


def save_group(r: redis.Redis, group: dict) -> None:
    GROUPS.save(r, group, group.get("position", 0))


def history(r: redis.Redis, component_id: str, since_ts: float = 0) -> list[tuple[float, str]]:
    """The whole record (needed to know the status at the start of the window)."""
    rows = r.zrange(f"component-history:{component_id}", 0, -1, withscores=True)
    return [(score, member.split("|", 1)[1]) for member, score in rows]


def record(r: redis.Redis, component_id: str, status: str, ts: float, *, pipe=None) -> None:
    (pipe or r).zadd(f"component-history:{component_id}", {f"{ts:.3f}|{status}": ts})


def change_holders(r: redis.Redis, component_ids: list[str], write: Callable[[Any, dict], T]) -> T:
    """A read-then-write of components and their holders that no other write can slip into.

    The components of ``component_ids`` and their holders are read under WATCH and handed to
    ``write(pipe, current)``, ``current`` mapping each existing id to ``(component, holders)``;
    ``write`` queues its writes on ``pipe`` (a MULTI by then) with the ``queue_*`` functions and
    ``events.publish``, and they are committed together, durably. When a watched key changed
    meanwhile, redis-py's ``transaction()`` reads and runs ``write`` again. Returns what
    ``write`` returned."""
    keys = [f"holders:{cid}" for cid in component_ids] + [COMPONENTS.key(cid) for cid in component_ids]

    def attempt(pipe) -> T:
        current = {}
        for component_id in component_ids:
            raw = pipe.get(COMPONENTS.key(component_id))
            if raw is not None:
                current[component_id] = (json.loads(raw), pipe.hgetall(f"holders:{component_id}"))
        pipe.multi()
        result = write(pipe, current)
        commit(pipe)
        return result

    return r.transaction(attempt, *keys, value_from_callable=True)


def queue_holders(pipe, component_id: str, changes: dict[str, str | None]) -> None:
    """Set each holder's status on the component, or clear it (None)."""
    for holder, status in changes.items():
        if status is None:
            pipe.hdel(f"holders:{component_id}", holder)
        else:
            pipe.hset(f"holders:{component_id}", holder, status)
