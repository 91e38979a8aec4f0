"""Checks' use cases (no Flask): create, update, declare (YAML file, Gatus import), record a
run's result. Every write of a check's config goes through ``spec``; every Redis command through
``storage``."""
from __future__ import annotations

import secrets
from datetime import datetime

import redis
from polystatus import events
from polystatus.errors import Conflict, NotFound

from . import schemas, sealing, service, spec, storage

SERVICE = "csp-status"
RETENTION_S = 7 * 86400


def create(r: redis.Redis, data: dict, *, allow_private, now: datetime, keys: list[str] | None) -> dict:
    """``keys``: CHECK_SECRETS_KEY, which seals a DSN's password before it is stored."""
    data = service.edited(None, data, defaults=schemas.defaults())  # a null sent is the same as nothing
    spec.validate(data, allow_private=allow_private)
    if storage.by_name(r, data["name"]):
        raise Conflict("A check with this name exists.")
    check = sealing.seal({"id": secrets.token_hex(6), **data}, keys=keys)
    storage.save(r, check, next_run=now.timestamp())
    return check


def update(r: redis.Redis, check_id: str, changes: dict, *, allow_private, keys: list[str] | None) -> dict:
    existing = storage.get(r, check_id)
    if existing is None:
        raise NotFound("No such check.")
    check = service.edited(existing, changes, defaults=schemas.defaults())
    spec.validate(check, allow_private=allow_private)
    other = storage.by_name(r, check["name"]) if check["name"] != existing["name"] else None
    if other is not None:
        raise Conflict("A check with this name exists.")
    check = sealing.seal(check, keys=keys, existing=existing)
    storage.save(r, check)
    return check


def declare(r: redis.Redis, data: dict, *, now: datetime, keys: list[str] | None = None, write: bool = True) -> str:
    """Make the check named ``data["name"]`` match a declaration already through ``spec`` (YAML
    file, Gatus import): "created", "updated" or "unchanged"; what it does not mention is kept.
    ``write=False`` only tells which it would be (a dry run)."""
    existing = storage.by_name(r, data["name"])
    data = sealing.seal(data, keys=keys, existing=existing) if data.get("dsn") else data
    outcome = service.declaration_outcome(existing, data)
    if write and outcome == "created":
        storage.save(r, {"id": secrets.token_hex(6), **data}, next_run=now.timestamp())
    elif write and outcome == "updated":
        storage.save(r, {**existing, **data})
    return outcome


def record(r: redis.Redis, check: dict, result: dict, now: datetime, *, region: str = "local",
           dedup_key: str | None = None, history_only: bool = False) -> dict | None:
    """Store one run's result from one region; returns the check's new state record.

    ``now`` is when the run happened. ``dedup_key`` makes the call idempotent (an agent that
    did not hear the answer posts the same result again): None is returned when that key was
    already recorded. A result older than what the region last reported, or ``history_only``,
    goes to the history and the daily uptime without moving the state.
    """
    ts = now.timestamp()
    then = _next_state(check, result, now, region=region, history_only=history_only)
    return storage.record_result(r, check["id"], {**result, "region": region, "ts": ts}, ts,
                                 day=now.date().isoformat(), ok=bool(result["ok"]), dedup_key=dedup_key,
                                 retention_s=RETENTION_S, then=then)


def record_many(r: redis.Redis, runs: list[tuple[dict, dict, datetime]], *, region: str = "local") -> list[dict]:
    """Store the scheduler's batch of runs, (check, result, when it ran), in one transaction:
    the same records and events as ``record`` one by one. Returns each check's new state."""
    thens = [_next_state(check, result, now, region=region) for check, result, now in runs]
    items = [(check["id"], {**result, "region": region, "ts": now.timestamp()}, now.timestamp(),
              now.date().isoformat(), bool(result["ok"])) for check, result, now in runs]
    return storage.record_results(r, items, retention_s=RETENTION_S,
                                  then=lambda pipe, index, current: thens[index](pipe, current))


def _next_state(check: dict, result: dict, now: datetime, *, region: str, history_only: bool = False):
    """What a run's result does to the check's state, queued on the recording's pipeline: the
    new state record, and the events it causes (expiry warnings, a change of state)."""
    ts = now.timestamp()
    stored = {**result, "region": region}

    def then(pipe, current: dict) -> dict:
        previous = current.get("regions", {}).get(region)
        if history_only or (previous is not None and previous["at"] > ts):
            return current
        regions = {name: value for name, value in current.get("regions", {}).items()
                   if ts - value["at"] <= 3 * max(60, check.get("interval", 60))}
        regions[region] = {"ok": bool(result["ok"]), "at": ts, "reason": result.get("reason", "")}
        updated = service.next_record(current, regions, stored, check, now)
        facts = {what: result.get(f"{what}_expires_at") for what in ("certificate", "domain")}
        updated["expiry"], warnings = service.expiry_warnings(check, current.get("expiry") or {}, facts, now)
        storage.queue_state(pipe, check["id"], updated)
        for warning in warnings:
            events.publish(pipe, SERVICE, "check.expiry_warning",
                           service.expiry_warning(check=check, warning=warning, at=now), now=now)
        if updated["state"] != current["state"]:
            events.publish(pipe, SERVICE, "check.status_changed", service.status_changed(
                check_id=check["id"], name=check["name"], source="check", state=updated["state"],
                previous_state=current["state"], component_ids=check.get("component_ids"),
                reason=result.get("reason", ""), regions={n: v["ok"] for n, v in regions.items()}, at=now,
                last_result=stored), now=now)
        return updated

    return then


def public_view(check: dict, state: dict) -> dict:
    """What anyone may see: never headers, tokens, bodies sent, nor where a database is."""
    return {"id": check["id"], "name": check["name"], "kind": check["kind"], "interval": check["interval"],
            "url": check.get("url") if not check.get("bearer_token") and not check.get("headers") else None,
            "host": check.get("host"), "component_ids": check.get("component_ids", []), "state": state["state"],
            "last_result": state.get("last_result"), "changed_at": state.get("changed_at"),
            "regions": {n: {"ok": v["ok"], "reason": v.get("reason", "")} for n, v in state.get("regions", {}).items()}}


def admin_view(check: dict) -> dict:
    """A check's settings as an admin edits them: everything but its secrets (the bearer token
    and header values are only said to be set)."""
    settings = {k: v for k, v in check.items() if k not in ("bearer_token", "headers", sealing.FIELD)}  # dsn: masked
    return {**settings, "has_bearer_token": bool(check.get("bearer_token")), "headers": sorted(check.get("headers") or {})}
