"""Demo flags: `python -m feature_flags.demo` (idempotent). The frontend reads them."""
from __future__ import annotations

import sys

from polystatus.clock import SystemClock, isoformat
from polystatus.redis_store import connect

from . import settings
from .flags import flows, service, storage

FLAGS = [
    {"key": "reports-button", "type": "boolean", "variants": {"on": True, "off": False}, "default_variant": "on",
     "description": "The 'I have a problem' buttons on the public page"},
    {"key": "csp-section", "type": "boolean", "variants": {"on": True, "off": False}, "default_variant": "on",
     "description": "The third-party providers section"},
    {"key": "new-status-chart", "type": "boolean", "variants": {"on": True, "off": False}, "default_variant": "off",
     "description": "The new reports chart, rolled out to half the visitors",
     "rules": [{"name": "half of visitors", "split": {"on": 50, "off": 50}}]},
    {"key": "banner-style", "type": "string", "variants": {"classic": "classic", "bold": "bold"},
     "default_variant": "classic"},
    {"key": "refresh-seconds", "type": "integer", "variants": {"normal": 30, "fast": 10}, "default_variant": "normal"},
]


def main() -> int:
    r = connect(settings.load()["REDIS_URL"])
    now = isoformat(SystemClock().now())
    created = 0
    for data in FLAGS:
        if storage.get(r, data["key"]):
            continue
        flag = service.validate({"enabled": True, "rules": [], "client_visible": True, "owner": "demo", "tags": ["demo"],
                                 "description": "", **data, "created_at": now, "updated_at": now, "version": 1}, {})
        flows.write(r, key=flag["key"], before=None, after=flag, actor="demo", at=now)
        created += 1
    print(f"flags: {', '.join(f['key'] for f in FLAGS)} (new: {created})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
