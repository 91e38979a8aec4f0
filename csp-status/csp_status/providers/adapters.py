"""Format adapters: each a pure function from a raw response to a normalised status.

``parse(format, body, headers, now)`` -> :class:`Normalized`. Normalised states are
``operational|degraded|partial_outage|major_outage|maintenance|unknown``. An enum value we do
not know maps to ``unknown`` with a logged warning: a provider inventing a new status must
never crash the poller, nor be read as "all clear".

Text from a provider's page gets the rules our own users' text gets (issue 21), in
:func:`parse`: names on one line, NFC, without bidirectional controls, and everything without
control characters, unpaired surrogates (a JSON ``"\ud800"``) or noncharacters, and cut to a
length, so a provider's typo cannot break our page, feeds or notifications.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
from polystatus.clock import parse_iso
from polystatus.text import clean, clean_tree

log = logging.getLogger("csp_status.adapters")

STATES = ("operational", "degraded", "partial_outage", "major_outage", "maintenance", "unknown")
RANK = {"operational": 0, "maintenance": 1, "unknown": 2, "degraded": 3, "partial_outage": 4, "major_outage": 5}
FORMATS = ("statuspage", "gcp", "aws-currentevents", "aws-rss", "azure-rss", "slack", "statusio", "heroku", "rss")
RECENT = timedelta(hours=24)  # RSS items older than this are history, not current trouble


class ParseError(ValueError):
    """The response is not what the format promises (an HTML error page, garbage, truncation)."""


@dataclass
class Normalized:
    state: str
    components: list[dict] = field(default_factory=list)  # {name, state, group?}
    incidents: list[dict] = field(default_factory=list)  # {id, name, state, started_at, url, components}
    description: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def worst(states) -> str:
    return max(states, key=lambda s: RANK.get(s, 2), default="operational")


def _map(table: dict, value, what: str) -> str:
    if value in table:
        return table[value]
    log.warning("unknown %s value %r; mapped to unknown", what, value)
    return "unknown"


def decode(body: bytes) -> str:
    """Text from bytes, honouring a UTF-16/UTF-8 byte-order mark (AWS sends UTF-16 with a BOM)."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16")
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8")
    return body.decode("utf-8", errors="replace")


def _json(body: bytes):
    text = decode(body).strip()
    if text.startswith("<"):
        raise ParseError("expected JSON, got markup (an HTML error page?)")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ParseError(f"invalid JSON: {exc}") from None


# ------------------------------------------------------------------------------- Statuspage v2
SP_INDICATOR = {"none": "operational", "minor": "degraded", "major": "partial_outage", "critical": "major_outage",
                "maintenance": "maintenance"}
SP_COMPONENT = {"operational": "operational", "degraded_performance": "degraded", "partial_outage": "partial_outage",
                "major_outage": "major_outage", "under_maintenance": "maintenance"}
SP_IMPACT = {"none": "degraded", "minor": "degraded", "major": "partial_outage", "critical": "major_outage",
             "maintenance": "maintenance"}


def parse_statuspage(body: bytes, headers: dict, now: datetime) -> Normalized:
    doc = _json(body)
    if not isinstance(doc, dict) or not ({"status", "components", "incidents"} & set(doc)):
        raise ParseError("not a Statuspage v2 document")
    groups = {c["id"]: c["name"] for c in doc.get("components", []) if c.get("group")}
    components = [{"name": c["name"], "state": _map(SP_COMPONENT, c.get("status"), "statuspage component status"),
                   "group": groups.get(c.get("group_id"))}
                  for c in doc.get("components", []) if not c.get("group")]
    incidents = [{"id": i.get("id"), "name": i.get("name"), "state": _map(SP_IMPACT, i.get("impact"), "statuspage impact"),
                  "started_at": i.get("started_at") or i.get("created_at"), "url": i.get("shortlink"),
                  "components": [c.get("name") for c in i.get("components", [])]}
                 for i in doc.get("incidents", []) if i.get("status") not in ("resolved", "postmortem", "completed")]
    if "status" in doc:
        state = _map(SP_INDICATOR, doc["status"].get("indicator"), "statuspage indicator")
        description = doc["status"].get("description", "")
    else:
        state = worst(c["state"] for c in components)
        description = ""
    return Normalized(state, components, incidents, description)


# ---------------------------------------------------------------------------------- Google Cloud
GCP_IMPACT = {"SERVICE_INFORMATION": "degraded", "SERVICE_DISRUPTION": "partial_outage",
              "SERVICE_OUTAGE": "major_outage"}


def parse_gcp(body: bytes, headers: dict, now: datetime) -> Normalized:
    doc = _json(body)
    if not isinstance(doc, list):
        raise ParseError("GCP incidents.json is a list")
    incidents, products = [], {}
    for item in doc:
        if item.get("end"):
            continue  # ongoing = no end
        state = _map(GCP_IMPACT, item.get("status_impact"), "GCP status_impact")
        names = [p.get("title") for p in item.get("affected_products", [])] or [item.get("service_name")]
        locations = [loc.get("title") for loc in item.get("currently_affected_locations", [])]
        incidents.append({"id": item.get("id"), "name": item.get("external_desc", "")[:200], "state": state,
                          "started_at": item.get("begin"), "url": f"https://status.cloud.google.com/{item.get('uri', '')}",
                          "components": names, "locations": locations, "severity": item.get("severity")})
        for name in names:
            products[name] = worst([products.get(name, "operational"), state])
    components = [{"name": n, "state": s} for n, s in sorted(products.items())]
    return Normalized(worst(i["state"] for i in incidents), components, incidents)


# ------------------------------------------------------------------------------------------ AWS
AWS_STATUS = {"0": "operational", "1": "degraded", "2": "partial_outage", "3": "major_outage"}


def parse_aws_currentevents(body: bytes, headers: dict, now: datetime) -> Normalized:
    doc = _json(body)
    if not isinstance(doc, list):
        raise ParseError("AWS currentevents is a list")
    incidents, services = [], {}
    for event in doc:
        if event.get("end_time"):
            continue  # active = no end_time
        state = _map(AWS_STATUS, str(event.get("status")), "AWS status")
        if state == "operational":
            state = "degraded"  # an active event with status 0 is still an event
        affected = [s.get("service_name") for s in (event.get("impacted_services") or {}).values()] or \
                   [event.get("service_name")]
        started = event.get("date")
        incidents.append({"id": event.get("arn"), "name": event.get("summary"), "state": state,
                          "started_at": datetime.fromtimestamp(int(started), UTC).isoformat() if str(started).isdigit() else started,
                          "url": "https://health.aws.amazon.com/health/status", "components": affected,
                          "region": event.get("region_name")})
        for name in affected:
            services[name] = worst([services.get(name, "operational"), state])
    return Normalized(worst(i["state"] for i in incidents), [{"name": n, "state": s} for n, s in sorted(services.items())],
                      incidents)


AWS_RSS_PREFIX = [("service is operating normally", "operational"), ("informational message", "degraded"),
                  ("performance issues", "degraded"), ("service disruption", "major_outage")]


def _feed(body: bytes):
    text = decode(body)
    stripped = text.lstrip()[:200].lower()
    if stripped.startswith("<!doctype html") or stripped.startswith("<html"):
        raise ParseError("expected a feed, got an HTML page")
    feed = feedparser.parse(text)
    if feed.bozo and not feed.entries and not feed.feed:
        raise ParseError(f"not a feed: {feed.get('bozo_exception')}")
    if not feed.feed and not feed.entries:
        raise ParseError("empty or truncated feed")
    return feed


def _entry_time(entry) -> datetime | None:
    for key in ("published", "updated"):
        if entry.get(key):
            try:
                return parsedate_to_datetime(entry[key]).astimezone(UTC)
            except (TypeError, ValueError):
                try:
                    return parse_iso(entry[key])
                except ValueError:
                    continue
    return None


def parse_aws_rss(body: bytes, headers: dict, now: datetime) -> Normalized:
    feed = _feed(body)
    latest: dict[str, tuple[datetime, str, dict]] = {}
    for entry in feed.entries:
        when = _entry_time(entry)
        if when is None or now - when > RECENT:
            continue  # resolved items age out of the feed's window
        title = entry.get("title", "")
        prefix = title.split(":", 1)[0].strip().lower()
        state = next((s for p, s in AWS_RSS_PREFIX if prefix.startswith(p)), None)
        if state is None:
            log.warning("unknown AWS RSS title prefix %r; mapped to unknown", prefix)
            state = "unknown"
        service = entry.get("id", title).split("#")[-1].rsplit("_", 1)[0]
        if service not in latest or when > latest[service][0]:
            latest[service] = (when, state, entry)
    incidents = [{"id": e.get("id"), "name": e.get("title"), "state": s, "started_at": w.isoformat(),
                  "url": e.get("link"), "components": [svc]}
                 for svc, (w, s, e) in latest.items() if s != "operational"]
    components = [{"name": svc, "state": s} for svc, (_, s, _) in sorted(latest.items())]
    return Normalized(worst(i["state"] for i in incidents), components, incidents)


def parse_azure_rss(body: bytes, headers: dict, now: datetime) -> Normalized:
    """Azure lists only current issues: no items means all clear (after checking it IS a feed)."""
    feed = _feed(body)
    if not feed.feed.get("title") and not feed.entries:
        raise ParseError("not an Azure status feed")
    incidents = []
    for entry in feed.entries:
        title = entry.get("title", "")
        tags = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
        incidents.append({"id": entry.get("id") or title, "name": title, "state": "partial_outage",
                          "started_at": entry.get("published"), "url": entry.get("link"),
                          "components": tags[:1] or [re.split(r" - | issue| Mitigating| Investigating", title)[0]]})
    components = [{"name": i["components"][0], "state": i["state"]} for i in incidents if i["components"]]
    return Normalized(worst(i["state"] for i in incidents), components, incidents)


# ---------------------------------------------------------------------------------------- Slack
SLACK_TYPE = {"outage": "major_outage", "incident": "partial_outage", "notice": "degraded",
              "maintenance": "maintenance"}


def parse_slack(body: bytes, headers: dict, now: datetime) -> Normalized:
    doc = _json(body)
    if not isinstance(doc, dict) or "status" not in doc:
        raise ParseError("not a Slack status document")
    incidents, services = [], {}
    for item in doc.get("active_incidents", []):
        state = _map(SLACK_TYPE, item.get("type"), "Slack incident type")
        incidents.append({"id": str(item.get("id")), "name": item.get("title"), "state": state,
                          "started_at": item.get("date_created"), "url": item.get("url"),
                          "components": item.get("services", [])})
        for name in item.get("services", []):
            services[name] = worst([services.get(name, "operational"), state])
    if doc["status"] == "ok" and not incidents:
        state = "operational"
    elif doc["status"] in ("ok", "active", "broken"):
        state = worst(i["state"] for i in incidents) if incidents else "degraded"
    else:
        state = _map({}, doc["status"], "Slack status")
    return Normalized(state, [{"name": n, "state": s} for n, s in sorted(services.items())], incidents)


# ------------------------------------------------------------------------------------- status.io
STATUSIO_CODE = {100: "operational", 200: "maintenance", 300: "degraded", 400: "partial_outage",
                 500: "major_outage", 600: "major_outage"}


def parse_statusio(body: bytes, headers: dict, now: datetime) -> Normalized:
    doc = _json(body)
    result = doc.get("result") if isinstance(doc, dict) else None
    if not isinstance(result, dict) or "status_overall" not in result:
        raise ParseError("not a status.io document")
    components = [{"name": s.get("name"), "state": _map(STATUSIO_CODE, s.get("status_code"), "status.io status_code")}
                  for s in result.get("status", [])]
    incidents = [{"id": i.get("_id"), "name": i.get("name"),
                  "state": _map(STATUSIO_CODE, (i.get("messages") or [{}])[-1].get("status"), "status.io status"),
                  "started_at": i.get("datetime_open"), "url": None,
                  "components": [c.get("name") for c in i.get("components_affected", [])]}
                 for i in result.get("incidents", [])]
    state = _map(STATUSIO_CODE, result["status_overall"].get("status_code"), "status.io status_code")
    return Normalized(state, components, incidents, result["status_overall"].get("status", ""))


# --------------------------------------------------------------------------------------- Heroku
HEROKU_COLOR = {"green": "operational", "yellow": "degraded", "red": "major_outage", "blue": "maintenance"}


def parse_heroku(body: bytes, headers: dict, now: datetime) -> Normalized:
    doc = _json(body)
    if not isinstance(doc, dict) or "status" not in doc:
        raise ParseError("not a Heroku v4 current-status document")
    components = [{"name": s.get("system"), "state": _map(HEROKU_COLOR, s.get("status"), "Heroku status")}
                  for s in doc.get("status", [])]
    incidents = [{"id": str(i.get("id")), "name": i.get("title"), "state": worst(c["state"] for c in components),
                  "started_at": i.get("created_at"), "url": i.get("full_url"), "components": i.get("systems", [])}
                 for i in doc.get("incidents", [])]
    return Normalized(worst(c["state"] for c in components), components, incidents)


# ------------------------------------------------------------------------------ any RSS or Atom
_RESOLVED = re.compile(r"\b(resolved|completed|operating normally|restored)\b", re.IGNORECASE)


def parse_rss(body: bytes, headers: dict, now: datetime) -> Normalized:
    """A generic feed: recent entries that do not say they are resolved are current trouble."""
    feed = _feed(body)
    incidents = []
    for entry in feed.entries:
        when = _entry_time(entry)
        if when is None or now - when > RECENT:
            continue
        text = f"{entry.get('title', '')} {entry.get('summary', '')[:300]}"
        if _RESOLVED.search(text):
            continue
        incidents.append({"id": entry.get("id"), "name": entry.get("title"), "state": "degraded",
                          "started_at": when.isoformat(), "url": entry.get("link"), "components": []})
    return Normalized(worst(i["state"] for i in incidents), [], incidents)


PARSERS = {
    "statuspage": parse_statuspage, "gcp": parse_gcp, "aws-currentevents": parse_aws_currentevents,
    "aws-rss": parse_aws_rss, "azure-rss": parse_azure_rss, "slack": parse_slack, "statusio": parse_statusio,
    "heroku": parse_heroku, "rss": parse_rss,
}


NAME_MAX, TEXT_MAX = 200, 2000


def _name(value):
    return clean(value, name=True)[:NAME_MAX] if isinstance(value, str) else value


def tidy(result: Normalized) -> Normalized:
    """A provider's text under the rules of our own (see the module's docstring)."""
    for component in result.components:
        component.update(clean_tree(component), name=_name(component.get("name")))
        if "group" in component:
            component["group"] = _name(component["group"])
    for incident in result.incidents:
        incident.update(clean_tree(incident), name=_name(incident.get("name")))
        incident["components"] = [_name(c) for c in incident.get("components") or []]
    result.description = clean(result.description or "")[:TEXT_MAX]
    return result


def parse(fmt: str, body: bytes, headers: dict | None = None, now: datetime | None = None) -> Normalized:
    if fmt not in PARSERS:
        raise ParseError(f"unknown format {fmt!r}")
    return tidy(PARSERS[fmt](body, headers or {}, now or datetime.now(UTC)))
