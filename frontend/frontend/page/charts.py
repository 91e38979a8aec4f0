"""The geometry of the pages' charts, drawn as SVG by the templates (so they show without
JavaScript): user reports against their usual level, and checks' response times. Pure
functions over plain data; the labels are translated by the caller."""
from __future__ import annotations

import math

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 44


def nice_ceiling(value: float, ticks: int = 4) -> tuple[float, float]:
    """(top of the axis, step between ticks): a round step (1, 2 or 5 × 10^n) so the axis
    reads 0, 5, 10, 15, 20 rather than 0, 4.3, 8.6."""
    value = max(value, 1.0)
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(value / step), step


def _axis(top: float, step: float, y) -> list[dict]:
    count = int(round(top / step))
    return [{"value": step * i, "y": round(y(step * i), 1)} for i in range(count + 1)]


NARROW = 360  # a phone's chart: drawn at its own size, so its labels stay readable


def reports(buckets: list[dict], bucket_seconds: int = 300, width: int = WIDTH) -> dict:
    """Bars of reports per bucket over the last 24 hours, the usual level as a line."""
    n = max(1, len(buckets))
    peak = max([b.get("count", 0) for b in buckets] + [b.get("baseline", 0) for b in buckets] + [4])
    top, step = nice_ceiling(peak)
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    canvas, width = width, plot_w / n

    def y(v):
        return TOP + plot_h - (v / top) * plot_h

    bars = [{"x": round(LEFT + i * width, 2), "y": round(y(b["count"]), 2), "width": round(max(1.0, width - 0.6), 2),
             "height": round(plot_h - (y(b["count"]) - TOP), 2), "count": b["count"], "start": b.get("start")}
            for i, b in enumerate(buckets) if b.get("count")]
    baseline = " ".join(f"{LEFT + (i + 0.5) * width:.1f},{y(b.get('baseline', 0)):.1f}" for i, b in enumerate(buckets))
    hours = n * bucket_seconds / 3600
    x_ticks = []
    for back in (24, 18, 12, 6, 0) if canvas > NARROW else (24, 12, 0):
        if back <= hours:
            x_ticks.append({"seconds_ago": back * 3600, "x": round(LEFT + plot_w * (1 - back / hours), 1)})
    return {"width": canvas, "height": HEIGHT, "left": LEFT, "top": TOP, "bottom": TOP + plot_h, "right": canvas - RIGHT,
            "bars": bars, "baseline": baseline, "y_ticks": _axis(top, step, y), "x_ticks": x_ticks,
            "total": sum(b.get("count", 0) for b in buckets), "per_minutes": bucket_seconds // 60}


STYLES = ["solid", "dashed", "dotted", "dashdot"]


def response_times(results: list[dict], now_ts: float, hours: float = 24.0, width: int = WIDTH) -> dict | None:
    """One line per region of response times (ms) over the last ``hours``; failed runs as marks
    on the time axis. None when there is nothing to draw."""
    recent = [run for run in results if run.get("ts") and now_ts - run["ts"] <= hours * 3600]
    timed = [run for run in recent if isinstance(run.get("response_time_ms"), (int, float))]
    if not timed:
        return None
    start = min(run["ts"] for run in recent)
    span = max(now_ts - start, 60.0)
    top, step = nice_ceiling(max(run["response_time_ms"] for run in timed))
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(ts):
        return LEFT + plot_w * (ts - start) / span

    def y(v):
        return TOP + plot_h - (v / top) * plot_h

    regions = sorted({run.get("region") or "local" for run in timed})
    lines = []
    for index, region in enumerate(regions):
        points = sorted((run["ts"], run["response_time_ms"]) for run in timed if (run.get("region") or "local") == region)
        lines.append({"region": region, "style": STYLES[index % len(STYLES)],
                      "points": " ".join(f"{x(ts):.1f},{y(v):.1f}" for ts, v in points)})
    failures = [{"x": round(x(run["ts"]), 1)} for run in recent if not run.get("ok")]
    values = sorted(run["response_time_ms"] for run in timed)
    fractions = (0, 0.25, 0.5, 0.75, 1) if width > NARROW else (0, 0.5, 1)
    x_ticks = [{"seconds_ago": span * (1 - f), "x": round(LEFT + plot_w * f, 1)} for f in fractions]
    return {"width": width, "height": HEIGHT, "left": LEFT, "top": TOP, "bottom": TOP + plot_h, "right": width - RIGHT,
            "lines": lines, "failures": failures, "y_ticks": _axis(top, step, y), "x_ticks": x_ticks,
            "median": values[len(values) // 2], "p95": values[min(len(values) - 1, int(len(values) * 0.95))],
            "runs": len(recent)}
