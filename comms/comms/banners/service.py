"""Banner rules. Pure functions."""
from __future__ import annotations

from datetime import datetime

from polystatus.clock import parse_iso
from polystatus.errors import Invalid

SEVERITIES = ("info", "warning", "critical")


def parse(value: str | None) -> datetime | None:
    return parse_iso(value) if value else None


def check_window(starts_at: str | None, ends_at: str | None) -> None:
    if starts_at and ends_at and parse(ends_at) <= parse(starts_at):
        raise Invalid("ends_at must be after starts_at.", details={"ends_at": ["Before starts_at."]})


def is_active(banner: dict, now: datetime) -> bool:
    starts, ends = parse(banner.get("starts_at")), parse(banner.get("ends_at"))
    return (starts is None or starts <= now) and (ends is None or now < ends)


def active(banners: list[dict], now: datetime) -> list[dict]:
    rank = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    return sorted((b for b in banners if is_active(b, now)), key=lambda b: (rank[b["severity"]], b["created_at"]))
