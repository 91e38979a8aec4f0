"""Recording a check's result: streaks, regions, state, history, event, in one transaction."""
from __future__ import annotations

import json
from datetime import datetime

import redis
from polystatus import events
from polystatus.clock import isoformat

from . import service, storage

SERVICE = "csp-status"
RETENTION_S = 7 * 86400


def record(r: redis.Redis, check: dict, result: dict, now: datetime, *, region: str = "local",
           dedup_key: str | None = None, history_only: bool = False) -> dict | None:
    """Store one run's result from one region; returns the check's new state record.

    ``now`` is when the run happened. ``dedup_key`` makes the call idempotent (an agent that
    did not hear the answer posts the same result again): None is returned when that key was
    already recorded. A result older than what the region last reported, or ``history_only``,
    goes to the history and the daily uptime without moving the state.
    """
    key = f"check-state:{check['id']}"
    ts = now.timestamp()
    while True:
        with r.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key, *([dedup_key] if dedup_key else []))
                if dedup_key and pipe.exists(dedup_key):
                    return None
                current = storage.state(pipe, check["id"])
                previous = current.get("regions", {}).get(region)
                stored = {**result, "region": region}
                day = now.date().isoformat()
                pipe.multi()
                if dedup_key:
                    pipe.set(dedup_key, 1, ex=RETENTION_S)
                pipe.zadd(f"check-results:{check['id']}", {json.dumps({**stored, "ts": ts}): ts})
                pipe.zremrangebyscore(f"check-results:{check['id']}", "-inf", ts - RETENTION_S)
                pipe.hincrby(f"check-daily:{check['id']}", f"{day}:total", 1)
                if result["ok"]:
                    pipe.hincrby(f"check-daily:{check['id']}", f"{day}:ok", 1)
                if history_only or (previous is not None and previous["at"] > ts):
                    pipe.execute()
                    return current
                regions = {name: value for name, value in current.get("regions", {}).items()
                           if ts - value["at"] <= 3 * max(60, check.get("interval", 60))}
                regions[region] = {"ok": bool(result["ok"]), "at": ts, "reason": result.get("reason", "")}
                verdict = service.quorum_state({n: v["ok"] for n, v in regions.items()}, check.get("quorum"))
                ok = verdict != "down"
                streak_ok = current.get("streak_ok", 0) + 1 if ok else 0
                streak_fail = 0 if ok else current.get("streak_fail", 0) + 1
                new_state = service.next_state(current["state"], ok, streak_ok, streak_fail,
                                               fail_threshold=check.get("fail_threshold", 2),
                                               success_threshold=check.get("success_threshold", 1))
                if new_state == "up" and verdict == "degraded":
                    new_state = "degraded"
                elif new_state == "degraded" and verdict == "up":
                    new_state = "up"
                updated = {"state": new_state, "streak_ok": streak_ok, "streak_fail": streak_fail, "regions": regions,
                           "last_result": stored, "changed_at": current.get("changed_at") if new_state == current["state"]
                           else isoformat(now)}
                pipe.set(key, json.dumps(updated))
                if new_state != current["state"]:
                    events.publish(pipe, SERVICE, "check.status_changed", {
                        "check_id": check["id"], "name": check["name"], "source": "check", "state": new_state,
                        "previous_state": current["state"], "component_ids": check.get("component_ids", []),
                        "reason": result.get("reason", ""), "regions": {n: v["ok"] for n, v in regions.items()},
                        "at": isoformat(now)}, now=now)
                pipe.execute()
                return updated
            except redis.WatchError:
                continue


def public_view(check: dict, state: dict) -> dict:
    """What anyone may see: never headers, tokens or bodies sent."""
    return {"id": check["id"], "name": check["name"], "kind": check["kind"], "interval": check["interval"],
            "url": check.get("url") if not check.get("bearer_token") and not check.get("headers") else None,
            "host": check.get("host"), "component_ids": check.get("component_ids", []), "state": state["state"],
            "last_result": state.get("last_result"), "changed_at": state.get("changed_at"),
            "regions": {n: {"ok": v["ok"], "reason": v.get("reason", "")} for n, v in state.get("regions", {}).items()}}
