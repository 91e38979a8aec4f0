"""Who follows which incident and who subscribes to which component.

Both directions are kept (``follows:{user}`` / ``followers:{incident}``, ``subscriptions:{user}``
/ ``subscribers:{component}``) and changed in one transaction, so "people to notify" is one
SMEMBERS, not a scan.
"""
from __future__ import annotations

import redis

KINDS = {"follows": "followers", "subscriptions": "subscribers"}


def add(r: redis.Redis, kind: str, user_id: str, target: str) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.sadd(f"{kind}:{user_id}", target)
    pipe.sadd(f"{KINDS[kind]}:{target}", user_id)
    pipe.execute()


def remove(r: redis.Redis, kind: str, user_id: str, target: str) -> bool:
    pipe = r.pipeline(transaction=True)
    pipe.srem(f"{kind}:{user_id}", target)
    pipe.srem(f"{KINDS[kind]}:{target}", user_id)
    return bool(pipe.execute()[0])


def queue_forget(r: redis.Redis, pipe, user_id: str) -> None:
    """Queue on ``pipe`` the removal of everything ``user_id`` follows or subscribes to (an
    account being deleted), both directions."""
    for kind, reverse in KINDS.items():
        for target in r.smembers(f"{kind}:{user_id}"):
            pipe.srem(f"{reverse}:{target}", user_id)
        pipe.delete(f"{kind}:{user_id}")


def of_user(r: redis.Redis, kind: str, user_id: str) -> list[str]:
    return sorted(r.smembers(f"{kind}:{user_id}"))


def people(r: redis.Redis, kind: str, targets: list[str]) -> list[str]:
    """The ids of everyone following (or subscribed to) any of ``targets``, sorted."""
    ids = set()
    for target in targets:
        ids |= r.smembers(f"{KINDS[kind]}:{target}")
    return sorted(ids)
