"""Heartbeat rules (the healthchecks.io model). Pure functions.

A heartbeat expects a ping every `timeout` seconds (or on a cron schedule in a time zone) and
is allowed `grace` seconds of lateness. States: new (never pinged), up, started (a /start
arrived; the job must finish within grace), grace (late, within grace), down, paused.
"""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from polystatus.errors import Invalid


def validate_schedule(schedule: str | None, tz: str | None) -> None:
    if schedule is None:
        return
    if not croniter.is_valid(schedule):
        raise Invalid("Not a valid cron expression.", details={"schedule": ["Invalid cron expression."]})
    try:
        ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("Unknown time zone.", details={"tz": ["Unknown time zone."]}) from None


def next_expected(heartbeat: dict, last_ping: float) -> float:
    """When the next ping is due after `last_ping`."""
    if heartbeat.get("schedule"):
        zone = ZoneInfo(heartbeat.get("tz") or "UTC")
        base = datetime.fromtimestamp(last_ping, UTC).astimezone(zone)
        return croniter(heartbeat["schedule"], base).get_next(datetime).timestamp()
    return last_ping + heartbeat["timeout"]


def deadline(heartbeat: dict, state: dict) -> float | None:
    """The moment this heartbeat goes down if nothing arrives; None when it cannot go down."""
    if heartbeat.get("paused") or heartbeat.get("retired") or state.get("state") in ("new", "down", "paused"):
        return None
    if state.get("state") == "started" and state.get("last_start"):
        return float(state["last_start"]) + heartbeat["grace"]
    if state.get("last_ping") is None:
        return None
    return next_expected(heartbeat, float(state["last_ping"])) + heartbeat["grace"]


def shown_state(heartbeat: dict, state: dict, now: float) -> str:
    if heartbeat.get("retired"):
        return "retired"
    if heartbeat.get("paused"):
        return "paused"
    current = state.get("state", "new")
    if current == "up" and state.get("last_ping") is not None and now > next_expected(heartbeat, float(state["last_ping"])):
        return "grace"
    return current


def kind_of_ping(suffix: str | None) -> tuple[str, int | None]:
    """/ping/<id> -> success; /start; /fail; /<exit-status> (0 is success)."""
    if suffix in (None, ""):
        return "success", None
    if suffix in ("start", "fail", "log"):
        return suffix, None
    if suffix.isdigit() and 0 <= int(suffix) <= 255:
        return ("success" if int(suffix) == 0 else "fail"), int(suffix)
    raise Invalid("Unknown ping kind.", details={"kind": ["start, fail, log or an exit status 0-255."]})


def app_message_ok(message: str | None) -> bool:
    """mega_test_api's messages: 'OK:200' or no message is fine; anything else is a failure."""
    return not message or message.strip().upper().startswith("OK")
