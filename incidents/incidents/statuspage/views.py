"""The Statuspage v2 read API and the history feeds: public, unchanged for Statuspage clients."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import Response, current_app
from polystatus.clock import isoformat
from polystatus.redis_store import get_redis

from ..components import storage as components_storage
from ..incidents import storage as incidents_storage
from ..maintenances import storage as maintenances_storage
from . import feeds, service

bp = APIBlueprint("statuspage", __name__, tag="Statuspage v2 API")
JSON_DOC = {200: {"description": "Statuspage v2 document", "content": {"application/json": {"schema": {"type": "object"}}}}}


class Snapshot:
    """Everything one document needs, read once."""

    def __init__(self):
        r = get_redis()
        self.config = current_app.config
        self.components = components_storage.all_components(r)
        self.groups = components_storage.all_groups(r)
        self.names = {c["id"]: c for c in self.components}
        self.open = incidents_storage.open_incidents(r)
        self.recent, _ = incidents_storage.newest(r, 0, 50)
        self.recent = self.recent[:50]
        self.maintenances = maintenances_storage.all_maintenances(r)
        stamps = [c["updated_at"] for c in self.components] + [i["updated_at"] for i in self.recent]
        self.updated_at = max(stamps, default=isoformat(self.config["CLOCK"].now()))

    def page(self):
        return service.page(self.config, self.updated_at)

    def incident(self, incident):
        return service.incident(incident, self.names, self.config["PAGE_ID"], self.config["PUBLIC_URL"])

    def status(self):
        return service.overall(self.open, self.components)

    def component_docs(self):
        return service.components(self.components, self.groups, self.config["PAGE_ID"])

    def maintenance_docs(self, *statuses):
        chosen = [m for m in self.maintenances if not statuses or m["status"] in statuses]
        return [self.incident(m) for m in chosen]


@bp.get("/api/v2/summary.json")
@bp.doc(summary="Page, status, components, unresolved incidents, upcoming and active maintenances",
        responses=JSON_DOC)
def summary():
    s = Snapshot()
    return {"page": s.page(), "components": s.component_docs(), "incidents": [s.incident(i) for i in s.open],
            "scheduled_maintenances": s.maintenance_docs("scheduled", "in_progress", "verifying"),
            "status": s.status()}


@bp.get("/api/v2/status.json")
@bp.doc(summary="The page indicator", responses=JSON_DOC)
def status():
    s = Snapshot()
    return {"page": s.page(), "status": s.status()}


@bp.get("/api/v2/components.json")
@bp.doc(summary="Every component", responses=JSON_DOC)
def components():
    s = Snapshot()
    return {"page": s.page(), "components": s.component_docs()}


@bp.get("/api/v2/incidents.json")
@bp.doc(summary="The 50 most recent incidents", responses=JSON_DOC)
def incidents():
    s = Snapshot()
    return {"page": s.page(), "incidents": [s.incident(i) for i in s.recent]}


@bp.get("/api/v2/incidents/unresolved.json")
@bp.doc(summary="Unresolved incidents", responses=JSON_DOC)
def unresolved():
    s = Snapshot()
    return {"page": s.page(), "incidents": [s.incident(i) for i in s.open]}


@bp.get("/api/v2/scheduled-maintenances.json")
@bp.doc(summary="The 50 most recent maintenances", responses=JSON_DOC)
def maintenances():
    s = Snapshot()
    return {"page": s.page(), "scheduled_maintenances": list(reversed(s.maintenance_docs()))[:50]}


@bp.get("/api/v2/scheduled-maintenances/upcoming.json")
@bp.doc(summary="Upcoming maintenances", responses=JSON_DOC)
def upcoming():
    s = Snapshot()
    return {"page": s.page(), "scheduled_maintenances": s.maintenance_docs("scheduled")}


@bp.get("/api/v2/scheduled-maintenances/active.json")
@bp.doc(summary="Maintenances in progress or verifying", responses=JSON_DOC)
def active():
    s = Snapshot()
    return {"page": s.page(), "scheduled_maintenances": s.maintenance_docs("in_progress", "verifying")}


FEED = {200: {"description": "Feed", "content": {"application/rss+xml": {"schema": {"type": "string"}},
                                                 "application/atom+xml": {"schema": {"type": "string"}}}}}


@bp.get("/history.rss")
@bp.doc(summary="Incident history as RSS 2.0", responses=FEED)
def history_rss():
    s = Snapshot()
    return Response(feeds.rss(s.page(), [s.incident(i) for i in s.recent]), content_type="application/rss+xml")


@bp.get("/history.atom")
@bp.doc(summary="Incident history as Atom", responses=FEED)
def history_atom():
    s = Snapshot()
    return Response(feeds.atom(s.page(), [s.incident(i) for i in s.recent]), content_type="application/atom+xml")
