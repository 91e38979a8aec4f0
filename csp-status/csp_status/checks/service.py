"""Check rules: what a run's result means, and when a check changes state. Pure functions.

Each run gives OK xor NOK with a reason (Bresse). A check goes down after ``fail_threshold``
consecutive failures and back up after ``success_threshold`` consecutive successes, so one lost
packet pages nobody. Regions (vantage points) are combined by a quorum rule: the check is down
when at least ``quorum`` regions (default: 2, or 1 when only one region reports) see it down.
"""
from __future__ import annotations

import math
import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

from polystatus.clock import isoformat, parse_iso
from polystatus.errors import Invalid

from . import expressions, kinds

KINDS = ("assertions", "freshness", "task", "tcp", "dns", "sql", "redis", "icmp")
HTTP_KINDS = ("assertions", "freshness", "task")
CONDITION_KINDS = ("assertions", "tcp", "dns", "sql", "redis", "icmp")
DATASTORE_KINDS = ("sql", "redis")
# The fields that belong to one kind only: a check of another kind may not carry them.
KIND_FIELDS = {"dsn": DATASTORE_KINDS, "password_env": DATASTORE_KINDS, "query": ("sql",), "command": ("redis",),
               "packets": ("icmp",)}
# An https check warns this many days before its certificate (and a watched domain) expires.
EXPIRY_WARNING_DAYS = [14, 7, 1]
DNS_QUERY_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "PTR", "SRV", "TXT")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,79}$")


def check_name(name: str) -> None:
    if "NOK" in name.upper():
        raise Invalid("A check's name cannot contain NOK (monitoring mailboxes alert on that string).",
                      details={"name": ["Contains NOK."]})
    if not NAME.match(name):
        raise Invalid("Names are 1-80 letters, digits, spaces and . _ : / -", details={"name": ["Bad name."]})


DEFAULT_CONDITIONS = {"assertions": ["[STATUS] == 200"]}
# Gatus refuses [DOMAIN_EXPIRATION] on an endpoint checked more often than every 5 minutes: a
# registry's RDAP/WHOIS service throttles whoever asks too often.
DOMAIN_EXPIRATION_MIN_INTERVAL = 300


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


def conditions_of(check: dict) -> list[str]:
    """The conditions a run judges: the check's own, else its kind's default (none for the kinds
    whose verdict is built in)."""
    return check.get("conditions") or DEFAULT_CONDITIONS.get(check.get("kind"), [])


def edited(existing: dict | None, changes: dict, *, defaults: dict) -> dict:
    """A check's settings once ``changes`` apply over ``existing`` (None: a new check). A field
    given as null or as an empty text is cleared: back to its default where it has one (method
    GET, timeout 10 s), else left out (a body, a DNS server, a bearer token), so a field emptied
    in a form is empty once saved rather than keeping what it held."""
    check = dict(existing or {})
    for key, value in changes.items():
        if value is None or value == "":
            check.pop(key, None)
            if key in defaults:
                check[key] = defaults[key]
        else:
            check[key] = value
    return check


def check_rules(check: dict) -> None:
    """Every rule a check must pass, whatever the way it comes in (API, YAML file, Gatus import,
    an agent's assignment): pure, so it cannot drift between them. Where to send requests is the
    other half (``spec.validate``: it resolves names)."""
    check_name(check["name"])
    kind = check["kind"]
    if kind in HTTP_KINDS and not check.get("url"):
        raise Invalid("This kind of check needs a url.", details={"url": ["Required."]})
    if kind == "freshness" and not check.get("max_age"):
        raise Invalid("A freshness check needs max_age (seconds).", details={"max_age": ["Required."]})
    if kind == "tcp" and not (check.get("host") and check.get("port")):
        raise Invalid("A tcp check needs host and port.", details={"host": ["Required."], "port": ["Required."]})
    if kind == "dns" and not check.get("host"):
        raise Invalid("A dns check needs host.", details={"host": ["Required."]})
    for name, owners in KIND_FIELDS.items():
        if check.get(name) is not None and kind not in owners:
            raise Invalid(f"{name} is for {' and '.join(owners)} checks, not {kind}.", details={name: [f"Not for kind {kind}."]})
    if kind in (*DATASTORE_KINDS, "icmp"):
        kinds.rules(check)
    if check.get("watch_domain") and not domain_of(check):
        raise Invalid("watch_domain needs a check whose url or host is a domain name.",
                      details={"watch_domain": ["No domain name to watch."]})
    if check.get("conditions") and kind not in CONDITION_KINDS:
        raise Invalid(f"A {kind} check has no conditions (its verdict is built in).",
                      details={"conditions": [f"Not for kind {kind}."]})
    compiled = compile_conditions(conditions_of(check))
    if any("DOMAIN_EXPIRATION" in c.placeholders() for c in compiled):
        if check.get("interval", 60) < DOMAIN_EXPIRATION_MIN_INTERVAL:
            raise Invalid("the minimum interval for an endpoint with a condition using the [DOMAIN_EXPIRATION] "
                          "placeholder is 300s (5m)", details={"interval": ["At least 300 with [DOMAIN_EXPIRATION]."]})
        if kind == "dns":
            raise Invalid("[DOMAIN_EXPIRATION] is for every kind but dns (as in Gatus).",
                          details={"conditions": ["[DOMAIN_EXPIRATION] on a dns check."]})


def domain_of(check: dict) -> str | None:
    """The name a check's target is known by (a url's host, a host, a DSN's host), None for an IP."""
    if check.get("url"):
        host = urlsplit(check["url"]).hostname
    elif check.get("dsn"):
        host = urlsplit(check["dsn"]).hostname
    else:
        host = (check.get("host") or "").strip("[]")
    if not host or re.fullmatch(r"[\d.]+|.*:.*", host) or "." not in host:
        return None
    return host.rstrip(".").lower()


def expiry_warnings(check: dict, seen: dict, facts: dict, now: datetime) -> tuple[dict, list[dict]]:
    """Certificate and domain expiry as warnings, once per threshold: ``facts`` is what a run saw
    ({"certificate": iso date, "domain": iso date}); ``seen`` what was already warned, per
    expiry date. Answers the new ``seen`` and the warnings to publish (``check.expiry_warning``).

    The lowest threshold reached is the one told: a check created three days before its
    certificate expires warns once (7 days), not three times. A renewed certificate has another
    date, so its thresholds start again."""
    thresholds = check.get("expiry_warning_days", EXPIRY_WARNING_DAYS)
    updated, warnings = dict(seen), []
    for what, expires_at in facts.items():
        moment = parse_time(expires_at) if expires_at else None
        if moment is None or not thresholds:
            continue
        days_left = (moment - now).total_seconds() / 86400
        reached = [t for t in thresholds if days_left <= t]
        key = isoformat(moment)
        dates = dict(updated.get(what) or {})
        if not reached:
            dates.pop(key, None)
            updated[what] = dates
            continue
        lowest = min(reached)
        if dates.get(key) is not None and dates[key] <= lowest:
            continue
        # keep the last few dates: regions behind different edges may see different certificates
        dates = {**dict(list(dates.items())[-3:]), key: lowest}
        updated[what] = dates
        warnings.append({"what": what, "subject": domain_of(check) or check.get("host") or "", "expires_at": key,
                         "days_left": math.floor(days_left), "threshold": lowest})
    return updated, warnings


def expiry_warning(*, check: dict, warning: dict, at: datetime) -> dict:
    """The one ``check.expiry_warning`` payload."""
    return {"check_id": check["id"], "name": check["name"], "component_ids": list(check.get("component_ids") or []),
            **warning, "at": isoformat(at)}


def declaration_outcome(existing: dict | None, declared: dict) -> str:
    """What declaring an item (YAML file, Gatus import) does to the one stored under its name:
    "created", "updated" (fields it names differ) or "unchanged"."""
    if existing is None:
        return "created"
    return "unchanged" if {**existing, **declared} == existing else "updated"


def condition_verdicts(conditions: list[str], context: dict) -> list[dict]:
    """Each condition's own verdict, in order, with what it saw as Gatus shows it
    (``[STATUS] (500) == 200``), so a person sees which ones hold and which fail."""
    verdicts = []
    for condition in compile_conditions(conditions):
        ok, shown = expressions.evaluate(condition, context)
        verdicts.append({"condition": condition.source, "ok": ok, "reason": shown})
    return verdicts


def judge_verdicts(verdicts: list[dict]) -> tuple[bool, str]:
    """Every condition must hold (as in Gatus); the reason names the failing ones."""
    failed = [v["reason"] for v in verdicts if not v["ok"]]
    return (False, "; ".join(failed)) if failed else (True, "all conditions hold")


def judge_assertions(conditions: list[str], context: dict) -> tuple[bool, str]:
    return judge_verdicts(condition_verdicts(conditions, context))


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
            return parse_iso(value)
        except ValueError:
            return None
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


def next_record(current: dict, regions: dict, stored: dict, check: dict, now: datetime) -> dict:
    """The check's state record after a result: regions combined by quorum, streaks, thresholds."""
    verdict = quorum_state({n: v["ok"] for n, v in regions.items()}, check.get("quorum"))
    ok = verdict != "down"
    streak_ok = current.get("streak_ok", 0) + 1 if ok else 0
    streak_fail = 0 if ok else current.get("streak_fail", 0) + 1
    new_state = next_state(current["state"], ok, streak_ok, streak_fail,
                           fail_threshold=check.get("fail_threshold", 2),
                           success_threshold=check.get("success_threshold", 1))
    if new_state == "up" and verdict == "degraded":
        new_state = "degraded"
    elif new_state == "degraded" and verdict == "up":
        new_state = "up"
    return {"state": new_state, "streak_ok": streak_ok, "streak_fail": streak_fail, "regions": regions,
            "last_result": stored, "changed_at": current.get("changed_at") if new_state == current["state"]
            else isoformat(now)}


def quorum_state(regions: dict[str, bool], quorum: int | None = None) -> str:
    """down when at least `quorum` regions fail (default 2, or all when fewer report)."""
    if not regions:
        return "unknown"
    failing = sum(1 for ok in regions.values() if not ok)
    needed = quorum or min(2, len(regions))
    return "down" if failing >= needed else ("degraded" if failing else "up")


# What every source's states mean in a check.status_changed event (checks, heartbeats, providers):
# one map, so "down" means the same to incidents and comms whoever said it.
EVENT_STATE = {"up": "up", "down": "down", "degraded": "degraded", "unknown": "unknown", "new": "unknown",
               # heartbeats
               "started": "up", "paused": "unknown",
               # providers (Statuspage-like words)
               "operational": "up", "maintenance": "up", "partial_outage": "degraded", "major_outage": "down"}


def status_changed(*, check_id: str, name: str, source: str, state: str, previous_state: str,
                   component_ids: list | None, reason: str, at: datetime, regions: dict | None = None,
                   last_result: dict | None = None) -> dict:
    """The one ``check.status_changed`` payload, whoever publishes it. ``last_result``: the
    result that moved a check (comms' Sentry channel shows it as the event's context)."""
    payload = {"check_id": check_id, "name": name, "source": source, "state": EVENT_STATE.get(state, "unknown"),
               "previous_state": EVENT_STATE.get(previous_state, "unknown"), "component_ids": list(component_ids or []),
               "reason": reason or "", "regions": regions or {}, "at": isoformat(at)}
    if last_result is not None:
        payload["last_result"] = last_result
    return payload


def next_due(*, due: float, now: float, interval: float) -> float:
    """When a check claimed at ``now`` (due at ``due``) runs next: the first time after ``now``
    on its own cadence (due + k x interval), so a late start does not push every later run
    back, and a scheduler that was away skips the runs it missed instead of bursting them."""
    return due + interval * (math.floor((now - due) / interval) + 1)


def recorded_by(*, claimed_at: float, timeout: float) -> float:
    """When a claimed run's result is overdue, its replica presumed killed and the run given to
    another: a run may wait for its connection and its certificate or domain lookup (a timeout
    each), plus a margin for a slot to free and for the batched write."""
    return claimed_at + 2 * timeout + 15
