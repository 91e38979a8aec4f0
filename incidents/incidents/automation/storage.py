"""Automation's own keys: ``check-down-since:{component}`` (when checks first said down),
``auto-incident:{component}`` (the incident automation opened for it, or "opening" while a
worker replica opens it)."""
from __future__ import annotations

import redis


def mark_down(r: redis.Redis, component_id: str, since_ts: float) -> None:
    r.set(f"check-down-since:{component_id}", since_ts, nx=True)  # the first "down" is kept


def mark_up(r: redis.Redis, component_id: str) -> None:
    r.delete(f"check-down-since:{component_id}")


def down_since(r: redis.Redis, component_id: str) -> float | None:
    since = r.get(f"check-down-since:{component_id}")
    return float(since) if since else None


def auto_incident(r: redis.Redis, component_id: str) -> str | None:
    return r.get(f"auto-incident:{component_id}")


def claim_auto_incident(r: redis.Redis, component_id: str) -> bool:
    """False when another worker replica is already opening one for this component."""
    return bool(r.set(f"auto-incident:{component_id}", "opening", nx=True))


def set_auto_incident(r: redis.Redis, component_id: str, incident_id: str) -> None:
    r.set(f"auto-incident:{component_id}", incident_id)


def clear_auto_incident(r: redis.Redis, component_id: str) -> None:
    r.delete(f"auto-incident:{component_id}")
