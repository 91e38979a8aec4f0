"""Demo data for comms: `python -m comms.demo` (idempotent): a banner and log-only channels."""
from __future__ import annotations

import sys
from datetime import UTC, datetime

from polystatus.clock import isoformat
from polystatus.redis_store import connect

from . import settings
from .banners import storage as banners
from .channels import storage as channels


def main() -> int:
    r = connect(settings.load()["REDIS_URL"])
    if r.get("demo:loaded"):
        print("demo data already loaded")
        return 0
    now = datetime.now(UTC)
    banners.save(r, {"id": "demo-banner", "message": "We are working with our payment provider on slow checkouts.",
                     "severity": "warning", "link": None, "starts_at": None, "ends_at": None, "dismissible": True,
                     "created_at": isoformat(now), "created_by": "demo"}, now.timestamp())
    for cid, name, url, events in [
        ("demo-slack", "Ops Slack (log only)", "slack://T000/B000/XXXXXXXX", ["incident.*", "check.status_changed"]),
        ("demo-rocket", "RocketChat #status (log only)", "rocket://hookid@chat.example.com/status", ["incident.*", "reports.spike"]),
        ("demo-webhook", "Status webhook (log only)", "webhooks://hooks.example.com/polystatus", ["incident.*", "component.status_changed"]),
    ]:
        channels.save(r, {"id": cid, "name": name, "url": url, "events": events, "components": [], "severities": [],
                          "log_only": True, "enabled": True, "repeat_minutes": None})
    r.set("demo:loaded", isoformat(now))
    print("1 banner, 3 log-only channels (slack, rocketchat, webhook)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
