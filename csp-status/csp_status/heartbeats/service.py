"""Heartbeat rules, the Healthchecks model. Pure functions over plain data (no I/O).

A heartbeat (a Healthchecks "check") expects a ping every `timeout` seconds, or on a cron
`schedule` in a time zone, and allows `grace` seconds of lateness. Its stored status is one of
Healthchecks' four: new (never pinged), up, down, paused; `last_start` marks a running job.
What is shown adds `grace` (late, within grace) and, in our own API, `started` and `retired`.

A ping's action is decided here (exit status, the check's allowed methods, its keyword
filters, retirement); how that action moves the stored state is the one atomic ping script in
storage, because one ping must be one step whatever else pings the same job at that moment.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from polystatus.errors import Invalid

from ..checks.service import check_name

SLUG = re.compile(r"^[a-z0-9_-]*$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PING_KEY = re.compile(r"^[-a-zA-Z0-9_]+$")  # Django's slug converter, which Healthchecks routes with
MAX_DURATION = 72 * 3600  # Healthchecks shows no duration longer than this

# Defaults of a heartbeat created without them (Healthchecks' own for its API and slug pings).
DEFAULTS = {"name": "", "slug": "", "tags": "", "desc": "", "timeout": 86400, "schedule": None, "tz": "UTC",
            "grace": 3600, "manual_resume": False, "methods": "", "start_kw": "", "success_kw": "",
            "failure_kw": "", "filter_subject": False, "filter_body": False, "filter_http_body": False,
            "filter_default_fail": False, "component_ids": [], "retired": False, "app_id": None,
            "project": "default"}
TEXT_LIMITS = {"name": 100, "slug": 100, "tags": 500, "desc": 2000, "start_kw": 200, "success_kw": 200,
               "failure_kw": 200, "tz": 64, "schedule": 100}


def heartbeat_rules(heartbeat: dict) -> dict:
    """The one validation of a heartbeat, whatever wrote it (our API, Healthchecks' API v3, the
    YAML config, a Gatus import, slug auto-provisioning, mega_test_api apps). Fields not given
    take Healthchecks' defaults. Answers it normalised."""
    heartbeat = {**DEFAULTS, **heartbeat}
    errors: dict[str, list[str]] = {}
    for field, limit in TEXT_LIMITS.items():
        value = heartbeat.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors[field] = [f"A string of at most {limit} characters."]
    if heartbeat.get("name"):
        try:
            check_name(heartbeat["name"])
        except Invalid as exc:
            errors["name"] = [exc.message]
    if isinstance(heartbeat.get("slug"), str) and not SLUG.match(heartbeat["slug"]):
        errors["slug"] = ["Only a-z, 0-9, hyphens and underscores."]
    if heartbeat.get("methods") not in ("", "POST"):
        errors["methods"] = ['"" (HEAD, GET and POST) or "POST".']
    schedule, timeout = heartbeat.get("schedule"), heartbeat.get("timeout")
    if schedule:
        if not croniter.is_valid(schedule):
            errors["schedule"] = ["Invalid cron expression."]
    elif not isinstance(timeout, int) or isinstance(timeout, bool) or not 10 <= timeout <= 366 * 86400:
        errors["timeout"] = ["Give either timeout (10 s to 366 days) or schedule (cron)."]
    grace = heartbeat.get("grace")
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= 366 * 86400:
        errors["grace"] = ["Seconds, 0 to 366 days."]
    try:
        # Looked up only within its limit (a name too long for a file name is an OSError, not
        # ZoneInfoNotFoundError); a directory of the database ("America") is an OSError too.
        if "tz" not in errors:
            ZoneInfo(heartbeat.get("tz") or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        errors["tz"] = ["Unknown time zone."]
    if errors:
        raise Invalid("The heartbeat is not valid.", details=errors)
    return {**heartbeat, "tz": heartbeat.get("tz") or "UTC"}


def apply_spec(heartbeat: dict, spec: dict) -> dict:
    """The one update of a heartbeat: ``spec`` holds only the fields given. As Healthchecks
    does, a schedule makes a cron heartbeat and a timeout alone makes a simple one."""
    updated = {**heartbeat, **{k: v for k, v in spec.items() if k != "schedule"}}
    if spec.get("schedule"):
        updated["schedule"] = spec["schedule"]
    elif "timeout" in spec and spec["timeout"] is not None:
        updated["schedule"] = None
    elif "schedule" in spec:
        updated["schedule"] = None
    return heartbeat_rules(updated)


def kind(heartbeat: dict) -> str:
    return "cron" if heartbeat.get("schedule") else "simple"


def next_expected(heartbeat: dict, last_ping: float) -> float:
    """When the next ping is due after one at `last_ping` (Healthchecks' grace start)."""
    if heartbeat.get("schedule"):
        zone = ZoneInfo(heartbeat.get("tz") or "UTC")
        base = datetime.fromtimestamp(last_ping, UTC).astimezone(zone)
        return croniter(heartbeat["schedule"], base).get_next(datetime).timestamp()
    return last_ping + heartbeat["timeout"]


def grace_start(heartbeat: dict, state: dict, *, with_started: bool = True) -> float | None:
    """When lateness starts, or None (new, paused or down, and not running)."""
    result = None
    if state.get("status") == "up" and state.get("last_ping") is not None:
        result = next_expected(heartbeat, float(state["last_ping"]))
    if with_started and state.get("last_start") is not None and state.get("status") != "down":
        started = float(state["last_start"])
        result = started if result is None else min(result, started)
    return result


def going_down_after(heartbeat: dict, state: dict) -> float | None:
    if heartbeat.get("retired"):
        return None  # ours: a retired job raises no alarm
    start = grace_start(heartbeat, state)
    return None if start is None else start + heartbeat["grace"]


def status(heartbeat: dict, state: dict, now: float, *, with_started: bool = False) -> str:
    """Healthchecks' status for display: new, up, grace, down, paused (started with v1's rule)."""
    if state.get("last_start") is not None:
        if now >= float(state["last_start"]) + heartbeat["grace"]:
            return "down"
        if with_started:
            return "started"
    current = state.get("status", "new")
    if current in ("new", "paused", "down"):
        return current
    start = grace_start(heartbeat, state, with_started=False)
    if start is None:
        return "up"
    if now >= start + heartbeat["grace"]:
        return "down"
    return "grace" if now >= start else "up"


def shown_state(heartbeat: dict, state: dict, now: float) -> str:
    """Our own API's state: Healthchecks' status, plus started and retired."""
    if heartbeat.get("retired"):
        return "retired"
    return status(heartbeat, state, now, with_started=state.get("status") != "paused")


def parse_exit_status(suffix: str) -> int | None:
    """``/<exit-status>``: digits only (Django's int converter); None if not a number."""
    return int(suffix) if suffix.isascii() and suffix.isdigit() else None


def action_of(heartbeat: dict, action: str, exit_status: int | None, method: str, body: bytes) -> str:
    """What a ping means: success, start, fail, log or ign (recorded, ignored), as Healthchecks
    decides it from the URL, the check's allowed methods and its keyword filters."""
    if exit_status is not None and exit_status > 0:
        action = "fail"
    if heartbeat.get("retired"):
        return "ign"  # ours: a retired job raises no alarm, whatever it sends
    if heartbeat.get("methods") == "POST" and method != "POST":
        return "ign"
    if action != "ign" and heartbeat.get("filter_http_body"):
        text = body.decode(errors="replace")
        if _matches(text, heartbeat.get("failure_kw")):
            return "fail"
        if _matches(text, heartbeat.get("success_kw")):
            return "success"
        if _matches(text, heartbeat.get("start_kw")):
            return "start"
        return "fail" if heartbeat.get("filter_default_fail") else "ign"
    return action


def _matches(text: str, keywords: str | None) -> bool:
    return any(word and word in text for word in (keywords or "").split(","))


def failure_reason(exit_status: int | None) -> str:
    return f"the job reported failure (exit status {exit_status})" if exit_status else "the job reported failure"


# json.dumps with any option builds a new encoder on every call: a ping encodes its record.
_encode = json.JSONEncoder(separators=(",", ":")).encode


def encode(value) -> str:
    return _encode(value)


def unique_key(heartbeat_id: str) -> str:
    """Healthchecks' read-only identifier: sha1 of the first half of the UUID's hex."""
    return hashlib.sha1(heartbeat_id.replace("-", "")[:16].encode()).hexdigest()  # noqa: S324 — an id, not a secret


def with_durations(pings: list[dict]) -> list[dict]:
    """Each success or failure ping's run time from its start (same rid, nothing finished in
    between), as Healthchecks computes it. ``pings`` newest first, as stored."""
    starts: dict = {}
    shown = []
    for ping in reversed(pings):
        ping = dict(ping)
        if ping.get("type") == "start":
            starts[ping.get("rid")] = ping["ts"]
        elif ping.get("type") in ("success", "fail"):
            start = starts.get(ping.get("rid"))
            if start is not None and ping["ts"] - start < MAX_DURATION:
                ping["duration"] = round(ping["ts"] - start, 2)
            starts[ping.get("rid")] = None
        shown.append(ping)
    return list(reversed(shown))


def app_message_ok(message: str | None) -> bool:
    """mega_test_api's messages: 'OK:200' or no message is fine; anything else is a failure."""
    return not message or message.strip().upper().startswith("OK")


def upcoming(heartbeat: dict, after: float, count: int) -> list[float]:
    """The next ``count`` moments a ping is expected after ``after`` (the schedule preview)."""
    moments, last = [], after
    for _ in range(count):
        last = next_expected(heartbeat, last)
        moments.append(last)
    return moments
