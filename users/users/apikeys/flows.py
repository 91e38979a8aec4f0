"""API keys: create, list, revoke, introspect (no Flask)."""
from __future__ import annotations

import redis
from polystatus import events
from polystatus.clock import isoformat
from polystatus.errors import Forbidden, NotFound
from polystatus.redis_store import atomic

from ..accounts import storage as accounts_storage
from ..totp import service as totp_service
from ..totp import storage as totp_storage
from . import service, storage

SERVICE = "users"


def _event(record: dict) -> dict:
    # What the stream says about a key: who and what, never the digest.
    return {"key_id": record["id"], "kind": record["kind"], "name": record["name"], "prefix": record["prefix"],
            "owner_id": record.get("owner_id", ""), "scopes": record["scopes"]}


def create(r: redis.Redis, *, actor, name: str, scopes: list[str], kind: str, role: str | None,
           expires_in_days: int | None, now) -> dict:
    """A new key; its secret is in the answer and nowhere else, ever."""
    if actor.claims.get("api_key"):
        # Otherwise a leaked key could mint itself a fresh, longer-lived successor.
        raise Forbidden("API keys are created by a signed-in person, not with another API key.",
                        code="api_key_cannot_create")
    if kind == "service":
        if not actor.has_role("admin"):
            raise Forbidden("Only admins create service keys.")
        role = service.check_service_key(creator_role=actor.role, role=role)
        owner_id = ""
    else:
        role, owner_id = actor.role, actor.sub
    scopes = service.check_scopes(scopes=scopes, role=role)
    secret = service.new_secret()
    record = service.new_key(key_id=service.new_key_id(), kind=kind, name=name, secret=secret, scopes=scopes,
                             owner_id=owner_id, role=role, created_by=actor.sub, now=now,
                             expires_in_days=expires_in_days)
    with atomic(r, durable=True) as pipe:
        storage.queue_create(pipe, record, digest=service.digest(secret), created_ts=now.timestamp())
        events.publish(pipe, SERVICE, "api_key.created", {**_event(record), "by": record["created_by"]})
    return {**service.public_view(record, owner_email=actor.email if owner_id else None), "secret": secret}


def mine(r: redis.Redis, *, owner_id: str) -> list[dict]:
    return [service.public_view(record) for record in storage.of_owner(r, owner_id)]


def every(r: redis.Redis) -> list[dict]:
    records = storage.every(r)
    owners = {record["owner_id"] for record in records if record.get("owner_id")}
    emails = {}
    for owner_id in owners:
        owner = accounts_storage.get(r, owner_id)
        emails[owner_id] = owner["email"] if owner else None
    return [service.public_view(record, owner_email=emails.get(record.get("owner_id"))) for record in records]


def revoke(r: redis.Redis, *, actor, key_id: str) -> None:
    record = storage.get(r, key_id)
    # Someone else's key is "not found", not "forbidden": its existence is not theirs to learn.
    if record is None or not (actor.has_role("admin") or (record.get("owner_id") and record["owner_id"] == actor.sub)):
        raise NotFound("No such API key.")
    _revoke(r, [record], by=actor.sub)


def revoke_all_of(r: redis.Redis, *, owner_id: str, by: str) -> int:
    """Revoke every key of a person (their account is being deleted); how many there were."""
    records = storage.of_owner(r, owner_id)
    _revoke(r, records, by=by)
    return len(records)


def _revoke(r: redis.Redis, records: list[dict], *, by: str) -> None:
    if not records:
        return
    with atomic(r, durable=True) as pipe:
        for record in records:
            storage.queue_revoke(pipe, record)
            events.publish(pipe, SERVICE, "api_key.revoked", {**_event(record), "by": by})


def introspect(r: redis.Redis, *, secret: str, now, totp_required_roles: list[str] = ()) -> dict:
    record = storage.find(r, service.digest(secret)) if secret.startswith(service.API_KEY_PREFIX) else None
    owner = accounts_storage.get(r, record["owner_id"]) if record and record.get("owner_id") else None
    if owner is not None:
        # As for their sessions: someone who must use two-factor sign-in and has not set it up
        # has a user's reach, through their keys too.
        owner = {**owner, "role": totp_service.effective_role(owner["role"], enrolled=totp_storage.enrolled(r, owner["id"]),
                                                              required_roles=list(totp_required_roles))}
    answer = service.introspection(record, owner=owner, now=now)
    if answer["active"]:
        storage.touch(r, record["id"], isoformat(now))
    return answer
