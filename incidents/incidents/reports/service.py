"""DownDetector-style problem reports: buckets, baseline, state. Pure functions.

- Reports are counted in 5-minute buckets.
- The baseline of a bucket is the average count of the same time of day over the previous
  28 days. While a component has fewer than 7 days of history the average is not meaningful
  yet, so the baseline falls back to a floor of 1 report per bucket (documented trade-off:
  early on, the page needs a clear burst before it cries "problems").
- State, over the last 15 minutes (3 buckets) against the baseline of those buckets:
  ``possible_problems`` at >= max(5, 2x baseline); ``problems_detected`` at >= max(10, 3x
  baseline) sustained over the 15 minutes before too (>= max(5, 2x)), or at >= max(30, 6x) at
  once. Duration and volume both count, so one noisy minute does not page anyone.
"""
from __future__ import annotations

BUCKET_S = 300
BUCKETS_PER_DAY = 86400 // BUCKET_S
BASELINE_DAYS = 28
MIN_HISTORY_DAYS = 7
FALLBACK_BASELINE = 1.0
STATES = ("no_problems", "possible_problems", "problems_detected")


def bucket_of(ts: float) -> int:
    return int(ts // BUCKET_S)


def baseline_buckets(bucket: int) -> list[int]:
    return [bucket - day * BUCKETS_PER_DAY for day in range(1, BASELINE_DAYS + 1)]


def baseline(history_counts: list[int], *, history_days: float) -> float:
    if history_days < MIN_HISTORY_DAYS:
        return FALLBACK_BASELINE
    return max(0.2, sum(history_counts) / len(history_counts)) if history_counts else FALLBACK_BASELINE


def baselines(history_counts: list[int], *, buckets: int, since_bucket: int | None, now_bucket: int) -> list[float]:
    """The baseline of each of ``buckets`` buckets from the counts of their
    :func:`baseline_buckets`, one after the other; ``since_bucket``: the first with data."""
    history_days = (now_bucket - since_bucket) / BUCKETS_PER_DAY if since_bucket is not None else 0
    n = BASELINE_DAYS
    return [baseline(history_counts[i * n:(i + 1) * n], history_days=history_days) for i in range(buckets)]


def decide(recent: list[int], recent_baseline: list[float], before: list[int], before_baseline: list[float]) -> str:
    now_count, now_base = sum(recent), sum(recent_baseline)
    prev_count, prev_base = sum(before), sum(before_baseline)
    if now_count >= max(30, 6 * now_base):
        return "problems_detected"
    if now_count >= max(10, 3 * now_base) and prev_count >= max(5, 2 * prev_base):
        return "problems_detected"
    if now_count >= max(5, 2 * now_base):
        return "possible_problems"
    return "no_problems"


def top_problems(type_counts: dict[str, int], limit: int = 5) -> list[dict]:
    total = sum(type_counts.values())
    ranked = sorted(type_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [{"type": t, "count": c, "share": round(c / total, 4) if total else 0.0} for t, c in ranked]


def is_problem(state: str) -> bool:
    return state != "no_problems"
