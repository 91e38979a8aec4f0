"""Applying a YAML config file to storage (used at start-up and by POST /config/reload)."""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from . import config_file
from .checks import storage as check_storage
from .heartbeats import storage as heartbeat_storage


def apply(r, text: str, now: datetime, config: dict) -> dict:
    doc = config_file.load(text)
    created = updated = 0
    for data in doc["checks"]:
        existing = check_storage.by_name(r, data["name"])
        if existing:
            if {**existing, **data} != existing:
                check_storage.save(r, {**existing, **data})
                updated += 1
        else:
            check_storage.save(r, {"id": secrets.token_hex(6), **data}, next_run=now.timestamp())
            created += 1
    by_name = {h["name"]: h for h in heartbeat_storage.all_heartbeats(r)}
    for data in doc["heartbeats"]:
        existing = by_name.get(data["name"])
        if existing:
            if {**existing, **data} != existing:
                heartbeat_storage.save(r, {**existing, **data})
                updated += 1
        else:
            heartbeat_storage.save(r, {"id": str(uuid.uuid4()), "schedule": None, "timeout": None, "paused": False,
                                       "retired": False, "app_id": None, **data})
            created += 1
    return {"created": created, "updated": updated, "checks": len(doc["checks"]), "heartbeats": len(doc["heartbeats"])}
