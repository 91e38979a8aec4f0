"""Provider rules: scheduling, backoff, the grace period, what changed. Pure functions."""
from __future__ import annotations

import random

from .catalog import MIN_INTERVAL


def interval_for(provider: dict) -> int:
    floor = MIN_INTERVAL.get(provider.get("catalog_id") or "", 30)
    return max(floor, int(provider.get("interval", 300)))


def next_poll(now: float, interval: int, failures: int, rng: random.Random | None = None) -> float:
    """Jitter spreads polls (10 %); failures back off exponentially up to an hour."""
    rng = rng or random.Random()
    base = interval if failures == 0 else min(3600, interval * (2 ** min(failures, 6)) / 4)
    return now + base * rng.uniform(0.95, 1.05)


def state_when_failing(previous: str, last_ok_at: float | None, first_seen_at: float, now: float,
                       grace_s: int) -> str:
    """Keep the last known state through the grace period, then unknown: never operational."""
    reference = last_ok_at if last_ok_at is not None else first_seen_at
    return "unknown" if now - reference >= grace_s else previous


def changes(old: dict | None, new_state: str, new_components: list[dict]) -> list[tuple[str | None, str, str]]:
    """(component or None for the provider, previous state, new state) for what changed."""
    out = []
    old_state = (old or {}).get("state", "unknown")
    if old_state != new_state:
        out.append((None, old_state, new_state))
    before = {c["name"]: c["state"] for c in (old or {}).get("components", [])}
    for component in new_components:
        previous = before.get(component["name"])
        if previous is not None and previous != component["state"]:
            out.append((component["name"], previous, component["state"]))
    return out
