"""Checks drive components; long outages open incidents by themselves. Pure functions."""
from __future__ import annotations

STATUS_OF_CHECK_STATE = {"down": "major_outage", "degraded": "degraded_performance", "up": None}


def holder_change(state: str) -> tuple[bool, str | None]:
    """(whether to change the holder, the status to hold or None to release). `unknown` keeps
    what we had: a check we cannot read says nothing about the component."""
    if state not in STATUS_OF_CHECK_STATE:
        return False, None
    return True, STATUS_OF_CHECK_STATE[state]


def is_down(holders: dict[str, str]) -> bool:
    return any(h.startswith("check:") and s == "major_outage" for h, s in holders.items())


def should_open(down_since: float | None, now: float, after_minutes: int) -> bool:
    return down_since is not None and now - down_since >= after_minutes * 60
