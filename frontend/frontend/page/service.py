"""Assembling the public page's one JSON document from the backends' answers. Pure functions."""
from __future__ import annotations

STATUS_ORDER = ["operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"]


def assemble(answers: dict, missing: list[str]) -> dict:
    summary = answers.get("summary") or {}
    listing = answers.get("components") or {}
    groups = listing.get("groups", [])
    components = []
    for component in listing.get("components", []):
        cid = component["id"]
        components.append({**component, "uptime": (answers.get(f"uptime:{cid}") or {}).get("days", []),
                           "uptime_pct": (answers.get(f"uptime:{cid}") or {}).get("uptime_pct"),
                           "reports": _reports(answers.get(f"reports:{cid}"))})
    flags = {f["key"]: f.get("value") for f in (answers.get("flags") or {}).get("flags", []) if "value" in f}
    return {
        "page": summary.get("page"), "status": summary.get("status"),
        "incidents": summary.get("incidents", []), "maintenances": summary.get("scheduled_maintenances", []),
        "groups": groups, "components": components,
        "providers": (answers.get("providers") or {}).get("providers", []),
        "checks": (answers.get("checks") or {}).get("checks", []),
        "banners": (answers.get("banners") or {}).get("banners", []),
        "flags": flags, "missing": sorted(set(missing)),
    }


def _reports(summary: dict | None) -> dict | None:
    if not summary:
        return None
    return {"state": summary["state"], "last_15_min": summary.get("last_15_min", 0),
            "top_problems": summary.get("top_problems", [])[:3]}


SECTIONS = {"incidents": ("page", "status", "incidents", "maintenances", "groups", "components"),
            "csp-status": ("providers", "checks"), "comms": ("banners",), "feature-flags": ("flags",)}


def fill_from(previous: dict | None, fresh: dict) -> dict:
    """Keep the last known sections of a backend that is down (the page says they are stale)."""
    if not previous:
        return fresh
    merged = dict(fresh)
    for backend in fresh["missing"]:
        for key in SECTIONS.get(backend, ()):
            merged[key] = previous.get(key, merged[key])
    return merged


# ------------------------------------------------------------------ what the public pages show
BANNERS_SHOWN = 3
OPEN_STATUSES = ("investigating", "identified", "monitoring")


def overall(doc: dict) -> str:
    """The page's indicator (none, minor, major, critical, maintenance), or unknown."""
    return (doc.get("status") or {}).get("indicator") or "unknown"


def split_banners(banners: list[dict], dismissed: set[str] = frozenset()) -> tuple[list[dict], list[dict]]:
    """The first few banners, most severe first, and the rest (shown collapsed)."""
    rank = {"critical": 0, "warning": 1, "info": 2}
    ordered = sorted((b for b in banners if b.get("id") not in dismissed), key=lambda b: rank.get(b.get("severity"), 3))
    return ordered[:BANNERS_SHOWN], ordered[BANNERS_SHOWN:]


def grouped_components(doc: dict) -> list[tuple[dict | None, list[dict]]]:
    """(group or None, its visible components) in the page's order; a component shown only
    when degraded is left out while it is operational."""
    components = [c for c in doc.get("components") or []
                  if not c.get("only_show_if_degraded") or c.get("status") != "operational"]
    out = []
    for group in [*(doc.get("groups") or []), None]:
        gid = group["id"] if group else None
        members = [c for c in components if (c.get("group_id") or None) == gid]
        if members:
            out.append((group, members))
    return out


def uptime_summary(days: list[dict]) -> dict:
    """The 90-day bars' figures: average uptime, and the days that had trouble."""
    known = [d for d in days if d and d.get("uptime_pct") is not None]
    troubled = [d for d in known if d["uptime_pct"] < 100 or d.get("incidents") or
                d.get("worst_status", "operational") != "operational"]
    average = sum(d["uptime_pct"] for d in known) / len(known) if known else None
    return {"average": average, "troubled": list(reversed(troubled)), "padding": max(0, 90 - len(days))}


def affected_components(incident: dict) -> list[dict]:
    """Every component the incident touched (its current list, then any named in its updates)."""
    seen: dict[str, dict] = {}
    for component in incident.get("components") or []:
        seen.setdefault(component["id"], {"id": component["id"], "name": component.get("name") or component["id"],
                                          "status": component.get("status")})
    for update in incident.get("incident_updates") or []:
        for touched in update.get("affected_components") or []:
            code = touched.get("code")
            if code and code not in seen:
                seen[code] = {"id": code, "name": touched.get("name") or code, "status": touched.get("new_status")}
    return list(seen.values())


def duration_seconds(incident: dict, now_ts: float) -> float | None:
    """From start (or creation) to resolution, or to now while it is open."""
    from .language import parse_time

    start = parse_time(incident.get("started_at") or incident.get("created_at"))
    if start is None:
        return None
    end = parse_time(incident.get("resolved_at"))
    return (end.timestamp() if end else now_ts) - start.timestamp()


def is_open(incident: dict) -> bool:
    return incident.get("status") in OPEN_STATUSES


def history_filters(args: dict, component_ids: list[str]) -> dict:
    """The history page's query (from its URL), made safe: page >= 1, a known component, a
    month as YYYY-MM (turned into a since/until range), a search of 100 characters at most."""
    import re

    try:
        page = min(10000, max(1, int(args.get("page", 1))))
    except (TypeError, ValueError):
        page = 1
    component = args.get("component") or ""
    if component not in component_ids:
        component = ""
    month = args.get("month") or ""
    since = until = None
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if match and 1 <= int(match.group(2)) <= 12 and 1970 <= int(match.group(1)) <= 9999:
        year, number = int(match.group(1)), int(match.group(2))
        since = f"{year:04d}-{number:02d}-01T00:00:00Z"
        until = f"{year + (number == 12):04d}-{number % 12 + 1:02d}-01T00:00:00Z"
    else:
        month = ""
    q = " ".join((args.get("q") or "").split())[:100]
    return {"page": page, "component": component, "month": month, "q": q, "since": since, "until": until}


def history_link(filters: dict, **change) -> str:
    """The history URL for ``filters`` with ``change`` applied (empty values left out)."""
    from urllib.parse import urlencode

    wanted = {**{k: filters[k] for k in ("q", "component", "month", "page")}, **change}
    query = {k: v for k, v in wanted.items() if v and not (k == "page" and v == 1)}
    return "/history" + ("?" + urlencode(query) if query else "")
