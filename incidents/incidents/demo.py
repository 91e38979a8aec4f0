"""Demo data for incidents: `python -m incidents.demo` (idempotent; the launcher runs it).

Components with fixed ids (web, api, login, payments, mobile, cdn) in two groups, 90 days of
status changes so the uptime bars have a story, 4 weeks of problem reports with a daily
rhythm so the chart has a baseline, a past incident, an open one and an upcoming maintenance.
"""
from __future__ import annotations

import math
import random
import sys
from datetime import timedelta

from polystatus.clock import SystemClock, isoformat
from polystatus.redis_store import connect

from . import settings
from .components import flows as components_flows
from .components import storage as components_storage
from .components.service import DEFAULT_PROBLEM_TYPES
from .incidents import flows as incident_flows
from .maintenances import flows as maintenance_flows
from .reports import service as reports_service
from .reports import storage as reports_storage

GROUPS = [("platform", "Platform", 0), ("apps", "Applications", 1)]
COMPONENTS = [
    ("web", "Website", "platform", "The public website", ["website", "login", "slow", "other"]),
    ("api", "Public API", "platform", "REST API for integrations", ["errors", "timeouts", "auth", "other"]),
    ("cdn", "CDN & static assets", "platform", "Images, scripts and downloads", ["images", "downloads", "other"]),
    ("login", "Sign-in", "apps", "Accounts and single sign-on", ["login", "password-reset", "2fa", "other"]),
    ("payments", "Payments", "apps", "Checkout and invoices", ["payments", "checkout", "invoices", "other"]),
    ("mobile", "Mobile app", "apps", "iOS and Android apps", ["app", "login", "notifications", "other"]),
]


def main() -> int:
    config = settings.load()
    r = connect(config["REDIS_URL"])
    if r.get("demo:loaded"):
        print("demo data already loaded")
        return 0
    clock = SystemClock()
    now = clock.now()
    rng = random.Random(42)
    start = now - timedelta(days=90)
    for gid, name, position in GROUPS:
        components_storage.save_group(r, {"id": gid, "name": name, "description": "", "position": position,
                                          "created_at": isoformat(start), "updated_at": isoformat(start)})
    for position, (cid, name, group, description, types) in enumerate(COMPONENTS):
        components_flows.save(r, {
            "id": cid, "name": name, "description": description, "group_id": group, "position": position,
            "status": "operational", "only_show_if_degraded": False, "problem_types": types or DEFAULT_PROBLEM_TYPES,
            "created_at": isoformat(start), "updated_at": isoformat(start)})
        components_storage.record(r, cid, "operational", start.timestamp())
        # A few short outages over 90 days, recorded as status changes.
        for _ in range(rng.randint(1, 4)):
            at = start + timedelta(days=rng.uniform(1, 85), hours=rng.uniform(0, 20))
            status = rng.choice(["degraded_performance", "partial_outage", "major_outage"])
            components_storage.record(r, cid, status, at.timestamp())
            components_storage.record(r, cid, "operational", (at + timedelta(minutes=rng.randint(20, 240))).timestamp())
        # Four weeks of reports with a daily rhythm (busy evenings, quiet nights).
        history = {}
        first = reports_service.bucket_of((now - timedelta(days=28)).timestamp())
        last = reports_service.bucket_of(now.timestamp()) - 1
        for bucket in range(first, last):
            hour = (bucket * reports_service.BUCKET_S % 86400) / 3600
            mean = 1.2 + 1.0 * math.sin((hour - 9) / 24 * 2 * math.pi)
            count = max(0, int(rng.gauss(mean, 0.8)))
            if count:
                history[bucket] = {rng.choice(types): count}
        reports_storage.add_history(r, cid, history)
    config_now = {**config}
    past = incident_flows.create(r, config_now, now - timedelta(days=6, hours=3), {
        "name": "Elevated error rates on the Public API", "status": "investigating",
        "message": "We are investigating elevated 5xx error rates on the Public API.",
        "components": {"api": "partial_outage"}})
    incident_flows.add_update(r, config_now, now - timedelta(days=6, hours=2), past["id"], {
        "status": "identified", "message": "A faulty deployment was identified and is being rolled back."})
    incident_flows.add_update(r, config_now, now - timedelta(days=6, hours=1), past["id"], {
        "status": "resolved", "message": "The rollback is complete; error rates are back to normal."})
    incident_flows.create(r, config_now, now - timedelta(minutes=40), {
        "name": "Slow checkout for some customers", "status": "identified",
        "message": "Some customers see slow checkouts; a payment provider is degraded. We are working with them.",
        "components": {"payments": "degraded_performance"}})
    maintenance_flows.create(r, config_now, now, {
        "name": "Database upgrade", "message": "We will upgrade the primary database. Sign-in may be briefly unavailable.",
        "scheduled_for": isoformat(now + timedelta(days=2)), "scheduled_until": isoformat(now + timedelta(days=2, hours=2)),
        "components": ["login"]})
    r.set("demo:loaded", isoformat(now))
    print(f"components: {', '.join(c[0] for c in COMPONENTS)}; 2 incidents, 1 maintenance, 28 days of reports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
