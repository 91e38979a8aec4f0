"""Check rules: what a run's result means, and when a check changes state. Pure functions.

Each run gives OK xor NOK with a reason (Bresse). A check goes down after ``fail_threshold``
consecutive failures and back up after ``success_threshold`` consecutive successes, so one lost
packet pages nobody. Regions (vantage points) are combined by a quorum rule: the check is down
when at least ``quorum`` regions (default: 2, or 1 when only one region reports) see it down.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from polystatus.errors import Invalid

from . import expressions

KINDS = ("assertions", "freshness", "task", "tcp", "dns")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,79}$")


def check_name(name: str) -> None:
    if "NOK" in name.upper():
        raise Invalid("A check's name cannot contain NOK (monitoring mailboxes alert on that string).",
                      details={"name": ["Contains NOK."]})
    if not NAME.match(name):
        raise Invalid("Names are 1-80 letters, digits, spaces and . _ : / -", details={"name": ["Bad name."]})


def compile_conditions(conditions: list[str]) -> list[expressions.Condition]:
    compiled, errors = [], {}
    for i, text in enumerate(conditions):
        try:
            compiled.append(expressions.parse(text))
        except expressions.ExpressionError as exc:
            errors[str(i)] = [str(exc)]
    if errors:
        raise Invalid("Some conditions do not parse.", details={"conditions": errors})
    return compiled


def judge_assertions(conditions: list[str], context: dict) -> tuple[bool, str]:
    for condition in compile_conditions(conditions):
        ok, reason = expressions.evaluate(condition, context)
        if not ok:
            return False, reason
    return True, "all conditions hold"


def _path(doc, path: str):
    value = doc
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def parse_time(value) -> datetime | None:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def judge_freshness(body, field: str, max_age_s: int, now: datetime) -> tuple[bool, str, float | None]:
    """Server Status Check: the timestamp field must be newer than the threshold. Returns the lag."""
    stamp = parse_time(_path(body, field)) if isinstance(body, (dict, list)) else None
    if stamp is None:
        return False, f"no timestamp at {field}", None
    lag = (now - stamp).total_seconds()
    if lag > max_age_s:
        return False, f"{field} is {int(lag)} s old (limit {max_age_s} s)", lag
    return True, f"{field} is {int(lag)} s old", lag


def in_sleep(now: datetime, windows: list[dict]) -> bool:
    for window in windows or []:
        try:
            start = time.fromisoformat(window["start"])
            duration = timedelta(minutes=float(window["duration"]))
        except (KeyError, ValueError, TypeError):
            continue
        for day in (now.date() - timedelta(days=1), now.date()):
            begin = datetime.combine(day, start, tzinfo=UTC)
            if begin <= now < begin + duration:
                return True
    return False


def judge_task(body, now: datetime) -> tuple[bool, str]:
    """Py Pinger's contract: unhealthy on status=error, or lastrun older than frequency outside
    the sleep windows."""
    if not isinstance(body, dict):
        return False, "the task endpoint did not answer a JSON object"
    if str(body.get("status", "")).lower() == "error":
        return False, f"task reports error: {body.get('reason') or 'no reason given'}"
    lastrun = parse_time(body.get("lastrun"))
    if lastrun is None:
        return False, "lastrun is missing or not a date"
    try:
        frequency = float(body.get("frequency"))
    except (TypeError, ValueError):
        return False, "frequency is missing"
    late = (now - lastrun).total_seconds() > frequency * 60
    if late and not in_sleep(now, body.get("sleep") or []):
        return False, f"lastrun {lastrun.isoformat()} is older than {frequency:g} min"
    return True, f"{body.get('process') or 'task'} ran at {lastrun.isoformat()}"


def next_state(state: str, ok: bool, streak_ok: int, streak_fail: int, *, fail_threshold: int,
               success_threshold: int) -> str:
    if not ok and streak_fail >= fail_threshold:
        return "down"
    if ok and (streak_ok >= success_threshold or state == "new"):
        return "up"
    return state


def quorum_state(regions: dict[str, bool], quorum: int | None = None) -> str:
    """down when at least `quorum` regions fail (default 2, or all when fewer report)."""
    if not regions:
        return "unknown"
    failing = sum(1 for ok in regions.values() if not ok)
    needed = quorum or min(2, len(regions))
    return "down" if failing >= needed else ("degraded" if failing else "up")
