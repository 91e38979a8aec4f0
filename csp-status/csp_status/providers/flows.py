"""Polling one provider: fetch, parse, compare, store and publish (no Flask)."""
from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from polystatus import events
from polystatus.clock import isoformat
from polystatus.errors import Invalid
from polystatus.redis_store import atomic

from ..checks import service as check_service
from . import adapters, service, storage
from .fetch import FetchError, fetch

log = logging.getLogger("csp_status.providers")
SERVICE = "csp-status"


def poll(r: redis.Redis, provider: dict, now: datetime, *, allow_private: bool, grace_s: int,
         timeout: float = 10.0) -> dict:
    old = storage.state(r, provider["id"]) or {}
    ts = now.timestamp()
    error = None
    try:
        fetched = fetch(provider["url"], etag=old.get("etag"), last_modified=old.get("last_modified"),
                        body_hash=old.get("body_hash"), timeout=timeout, allow_private=allow_private)
        if fetched.unchanged and old.get("result"):
            result = old["result"]
        else:
            result = adapters.parse(provider["format"], fetched.body, fetched.headers, now).as_dict()
        new = {**old, "result": result, "state": result["state"], "components": result["components"],
               "etag": fetched.etag, "last_modified": fetched.last_modified, "body_hash": fetched.body_hash,
               "last_ok_at": ts, "failures": 0, "error": None}
    except (FetchError, adapters.ParseError, Invalid) as exc:
        error = exc.message if isinstance(exc, Invalid) else str(exc)
        failures = int(old.get("failures", 0)) + 1
        state = service.state_when_failing(old.get("state", "unknown"), old.get("last_ok_at"),
                                           old.get("first_seen_at", ts), ts, grace_s)
        new = {**old, "state": state, "failures": failures, "error": error,
               "components": old.get("components", []) if state != "unknown" else
               [{**c, "state": "unknown"} for c in old.get("components", [])]}
        log.warning("poll of %s failed (%s); state %s", provider["name"], error, state)
    new.setdefault("first_seen_at", ts)
    new["last_polled_at"] = ts
    new["next_poll_at"] = service.next_poll(ts, service.interval_for(provider), new.get("failures", 0))
    changed = service.changes(old if old.get("state") else None, new["state"], new.get("components", []))
    with atomic(r) as pipe:
        storage.queue_state(pipe, provider["id"], new)
        mappings = provider.get("mappings") or {}
        for component, previous, current in changed:
            entry = {"at": isoformat(now), "component": component, "previous_state": previous, "state": current}
            storage.queue_history(pipe, provider["id"], entry, ts)
            events.publish(pipe, SERVICE, "provider.status_changed",
                           {"provider_id": provider["id"], "name": provider["name"], **entry}, now=now)
            mapped = mappings.get("provider", []) if component is None else mappings.get("components", {}).get(component, [])
            if mapped:
                events.publish(pipe, SERVICE, "check.status_changed", check_service.status_changed(
                    check_id=f"provider:{provider['id']}" + (f":{component}" if component else ""),
                    name=provider["name"] + (f" / {component}" if component else ""), source="provider",
                    state=current, previous_state=previous, component_ids=mapped,
                    reason=error or f"{provider['name']} reports {current}", at=now), now=now)
    return view(provider, new)


def view(provider: dict, state: dict | None) -> dict:
    state = state or {}
    result = state.get("result") or {}

    def iso(ts):
        return isoformat(datetime.fromtimestamp(ts, UTC)) if ts else None

    return {**{k: provider.get(k) for k in ("id", "name", "url", "format", "enabled", "interval", "catalog_id")},
            "mappings": provider.get("mappings") or {"provider": [], "components": {}},
            "state": state.get("state", "unknown"), "description": result.get("description", ""),
            "components": state.get("components", []), "incidents": result.get("incidents", []) if state.get("state") != "unknown" else [],
            "last_polled_at": iso(state.get("last_polled_at")), "last_ok_at": iso(state.get("last_ok_at")),
            "error": state.get("error")}


def due(r: redis.Redis, now_ts: float) -> list[dict]:
    out = []
    for provider in storage.all_providers(r):
        if not provider.get("enabled", True):
            continue
        state = storage.state(r, provider["id"]) or {}
        if state.get("next_poll_at", 0) <= now_ts:
            out.append(provider)
    return out
