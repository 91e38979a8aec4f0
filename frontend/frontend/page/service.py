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
