"""Channel rules: masking secrets, routing events. Pure functions."""
from __future__ import annotations

from urllib.parse import urlsplit

from polystatus.errors import Invalid

EVENT_TYPES = ("incident.created", "incident.updated", "incident.resolved", "maintenance.scheduled",
               "maintenance.started", "maintenance.completed", "maintenance.updated", "component.status_changed",
               "check.status_changed", "reports.spike", "announcement", "alert")
SEVERITIES = ("info", "minor", "major", "critical")


def mask(url: str) -> str:
    """Keep what tells a channel apart (scheme, host), hide what grants access (all else)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]  # as written: Slack team ids are case-sensitive
    userinfo = "****@" if parts.username or parts.password else ""
    rest = "/****" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{userinfo}{host}{rest}"


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if not parts.scheme or not (parts.netloc or parts.path):
        raise Invalid("A channel URL looks like slack://..., mailtos://..., json://..., webhook://...",
                      details={"url": ["Not a channel URL."]})


def check_events(events: list[str]) -> None:
    unknown = [e for e in events if e not in EVENT_TYPES and not (e.endswith(".*") and
                                                                    any(t.startswith(e[:-1]) for t in EVENT_TYPES))]
    if unknown:
        raise Invalid("Unknown event types.", details={"events": unknown})


def matches(channel: dict, event_type: str, component_ids: list[str], severity: str | None) -> bool:
    if not channel.get("enabled", True):
        return False
    wanted = channel.get("events") or []
    if not any(event_type == e or (e.endswith(".*") and event_type.startswith(e[:-1])) for e in wanted):
        return False
    components = channel.get("components") or []
    if components and component_ids and not set(components) & set(component_ids):
        return False
    severities = channel.get("severities") or []
    return not (severities and severity and severity not in severities)


def public_view(channel: dict) -> dict:
    return {**{k: v for k, v in channel.items() if k != "url"}, "url": mask(channel["url"])}
