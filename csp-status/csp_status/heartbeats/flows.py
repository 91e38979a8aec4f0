"""Pings and the sweeper. Every state change goes through one WATCH/MULTI, so two sweepers
(or a sweeper racing a ping) change a heartbeat once, and its event is published once."""
from __future__ import annotations

import json
import re
from datetime import datetime

import redis
from polystatus import events, ratelimits
from polystatus.clock import isoformat
from polystatus.errors import NotFound

from . import service, storage

SERVICE = "csp-status"
CHECK_STATE = {"up": "up", "down": "down", "started": "up", "new": "unknown", "paused": "unknown"}


def _transition(r: redis.Redis, heartbeat: dict, now: datetime, change, *, ping: dict | None = None) -> dict | None:
    """Apply `change(state) -> new state dict or None` atomically; publish when the state moves."""
    key = f"heartbeat-state:{heartbeat['id']}"
    while True:
        with r.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                current = storage.state(pipe, heartbeat["id"])
                updated = change(dict(current))
                if updated is None:
                    pipe.unwatch()
                    # Keep the deadline index true to the state (a down or paused one has none).
                    when = service.deadline(heartbeat, current)
                    if when is None:
                        r.zrem("heartbeat-deadlines", heartbeat["id"])
                    return None
                pipe.multi()
                pipe.set(key, json.dumps(updated))
                when = service.deadline(heartbeat, updated)
                if when is None:
                    pipe.zrem("heartbeat-deadlines", heartbeat["id"])
                else:
                    pipe.zadd("heartbeat-deadlines", {heartbeat["id"]: when})
                if ping is not None:
                    pipe.lpush(f"heartbeat-pings:{heartbeat['id']}", json.dumps(ping))
                    pipe.ltrim(f"heartbeat-pings:{heartbeat['id']}", 0, storage.MAX_PINGS - 1)
                if updated["state"] != current["state"] and updated["state"] in ("up", "down") \
                        and not (current["state"] == "started" and updated["state"] == "up"):
                    events.publish(pipe, SERVICE, "check.status_changed", {
                        "check_id": f"heartbeat:{heartbeat['id']}", "name": heartbeat["name"], "source": "heartbeat",
                        "state": updated["state"], "previous_state": CHECK_STATE.get(current["state"], "unknown"),
                        "component_ids": heartbeat.get("component_ids", []),
                        "reason": updated.get("reason", ""), "regions": {}, "at": isoformat(now)}, now=now)
                pipe.execute()
                return updated
            except redis.WatchError:
                continue


def ping(r: redis.Redis, heartbeat: dict, kind: str, now: datetime, *, exit_status: int | None = None,
         rid: str | None = None, body: str = "", source: str = "") -> dict:
    ts = now.timestamp()
    record = {"kind": kind, "at": isoformat(now), "exit_status": exit_status, "rid": rid, "body": body[:10_000],
              "source": source}

    def change(state: dict) -> dict:
        state["pings"] = state.get("pings", 0) + 1
        if heartbeat.get("paused") or heartbeat.get("retired"):
            return state  # recorded, no state change: a paused or retired job raises no alarm
        if kind == "start":
            state.update(state="started", last_start=ts, rid=rid)
        elif kind == "success":
            duration = ts - state["last_start"] if state.get("last_start") and state.get("rid") == rid else None
            state.update(state="up", last_ping=ts, last_start=None, duration=duration, reason="ping received")
        elif kind == "fail":
            state.update(state="down", last_ping=ts, last_start=None,
                         reason=f"the job reported failure (exit status {exit_status})" if exit_status is not None
                         else "the job reported failure")
        return state

    return _transition(r, heartbeat, now, change, ping=record)


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def take_ping(r: redis.Redis, config: dict, heartbeat_id: str, suffix: str | None, *, method: str,
              remote_addr: str | None, forwarded_for: str | None, read_body, rid: str | None) -> None:
    """One healthchecks.io-style ping; raises the error to answer. Both transports (the Flask
    routes and the fast path) call this. ``read_body()`` gives the raw body, read only for POST."""
    if not UUID.match(heartbeat_id):
        raise NotFound("No such heartbeat.")
    heartbeat = storage.get(r, heartbeat_id)
    if heartbeat is None:
        raise NotFound("No such heartbeat.")
    kind, exit_status = service.kind_of_ping(suffix)
    address = ratelimits.client_address(remote_addr, forwarded_for, config["TRUSTED_PROXIES"])
    now = config["CLOCK"].now()
    ratelimits.enforce(r, f"ping:{heartbeat_id}", config["PINGS_PER_MINUTE"], 60, what="pings", now=now.timestamp())
    body = read_body()[:10_000].decode("utf-8", errors="replace") if method == "POST" else ""
    if kind != "log":
        ping(r, heartbeat, kind, now, exit_status=exit_status, rid=rid, body=body, source=address)


def sweep(r: redis.Redis, now: datetime) -> list[str]:
    """Flip every overdue heartbeat to down, exactly once each."""
    flipped = []
    for heartbeat_id in storage.overdue(r, now.timestamp()):
        heartbeat = storage.get(r, heartbeat_id)
        if heartbeat is None:
            r.zrem("heartbeat-deadlines", heartbeat_id)
            continue

        def change(state: dict, heartbeat=heartbeat) -> dict | None:
            when = service.deadline(heartbeat, state)
            if when is None or when > now.timestamp() or state["state"] == "down":
                return None
            late = "did not finish in time" if state["state"] == "started" else "no ping in time"
            state.update(state="down", reason=late)
            return state

        if _transition(r, heartbeat, now, change) is not None:
            flipped.append(heartbeat_id)
    return flipped
