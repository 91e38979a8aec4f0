"""Statuspage v2 documents from our records. Pure functions.

Field names, nesting and enum values follow Statuspage's public API (see the captured
payloads in fixtures/statuspage/), so clients written for Statuspage read PolyStatus
unchanged. Component groups appear as components with ``group: true`` and their members' ids,
as Statuspage does. Text stored before it was validated (issue 21) leaves here cleaned: no
control characters, and no unpaired surrogate that a strict JSON reader would refuse.
"""
from __future__ import annotations

from polystatus.text import clean, one_line

from ..components.service import SEVERITY

INDICATOR_OF_IMPACT = {"none": "none", "minor": "minor", "major": "major", "critical": "critical"}
DESCRIPTION = {"none": "All Systems Operational", "minor": "Minor Service Outage",
               "major": "Partial System Outage", "critical": "Major System Outage"}
INDICATOR_OF_COMPONENT = {"operational": "none", "under_maintenance": "maintenance",
                          "degraded_performance": "minor", "partial_outage": "major", "major_outage": "critical"}


def page(config: dict, updated_at: str) -> dict:
    return {"id": config["PAGE_ID"], "name": config["PAGE_NAME"], "url": config["PUBLIC_URL"],
            "time_zone": config["TIME_ZONE"], "updated_at": updated_at}


def component(c: dict, page_id: str, group_members: list[str] | None = None) -> dict:
    return {
        "id": c["id"], "name": one_line(c["name"]), "status": c["status"], "created_at": c["created_at"],
        "updated_at": c["updated_at"], "position": c.get("position", 0), "description": clean(c.get("description") or None),
        "showcase": not c.get("only_show_if_degraded", False), "start_date": c["created_at"][:10],
        "group_id": c.get("group_id"), "page_id": page_id, "group": group_members is not None,
        "only_show_if_degraded": c.get("only_show_if_degraded", False),
        **({"components": group_members} if group_members is not None else {}),
    }


def components(items: list[dict], groups: list[dict], page_id: str) -> list[dict]:
    out = [component(c, page_id) for c in items]
    for g in groups:
        members = [c for c in items if c.get("group_id") == g["id"]]
        worst = max((m["status"] for m in members), key=lambda s: SEVERITY[s], default="operational")
        out.append(component({**g, "status": worst, "group_id": None}, page_id, [m["id"] for m in members]))
    return sorted(out, key=lambda c: (c["position"], c["name"]))


def update(u: dict, incident_id: str) -> dict:
    return {**u, "body": clean(u.get("body", "")), "incident_id": incident_id,
            "affected_components": [{**a, "name": one_line(a.get("name", ""))} for a in u.get("affected_components", [])]}


def incident(i: dict, names: dict[str, dict], page_id: str, public_url: str) -> dict:
    return {
        "id": i["id"], "name": one_line(i["name"]), "status": i["status"], "created_at": i["created_at"],
        "updated_at": i["updated_at"], "monitoring_at": i.get("monitoring_at"), "resolved_at": i.get("resolved_at"),
        "impact": i["impact"], "shortlink": f"{public_url}/incidents/{i['id']}", "started_at": i.get("started_at"),
        "page_id": page_id,
        "incident_updates": [update(u, i["id"]) for u in i.get("incident_updates", [])],
        "components": [component(names[cid], page_id) for cid in i.get("components", {}) if cid in names],
        **({"scheduled_for": i["scheduled_for"], "scheduled_until": i["scheduled_until"]}
           if "scheduled_for" in i else {}),
        **({"postmortem_body": clean(i["postmortem_body"]), "postmortem_published_at": i.get("postmortem_published_at")}
           if i.get("postmortem_body") else {}),
    }


def overall(open_incidents: list[dict], all_components: list[dict]) -> dict:
    """The page indicator: the worst open incident's impact, or the worst component status."""
    ranks = ["none", "minor", "major", "critical"]
    level = "none"
    for i in open_incidents:
        if i["impact"] in ranks and ranks.index(i["impact"]) > ranks.index(level):
            level = i["impact"]
    for c in all_components:
        from_component = {"degraded_performance": "minor", "partial_outage": "major",
                          "major_outage": "critical"}.get(c["status"], "none")
        if ranks.index(from_component) > ranks.index(level):
            level = from_component
    if level == "none" and any(c["status"] == "under_maintenance" for c in all_components):
        return {"indicator": "maintenance", "description": "Service Under Maintenance"}
    return {"indicator": level, "description": DESCRIPTION[level]}
