"""Applying a YAML config file to storage (used at start-up and by POST /config/reload)."""
from __future__ import annotations

from datetime import datetime

from . import config_file
from .checks import flows as check_flows
from .heartbeats import flows as heartbeat_flows
from .heartbeats import storage as heartbeat_storage


def declare_heartbeat(r, data: dict, by_name: dict, *, now: datetime, write: bool = True) -> str:
    """Make the heartbeat named ``data["name"]`` match ``data`` (already validated), through the
    heartbeats' own create and update; ``write=False`` only tells what it would do."""
    return heartbeat_flows.declare(r, heartbeat_storage.Scripts(r), data, existing=by_name.get(data["name"]),
                                   now=now, write=write)


def apply(r, text: str, now: datetime, config: dict) -> dict:
    doc = config_file.load(text, allow_private=config["CSP_ALLOW_PRIVATE_TARGETS"])
    outcomes = [check_flows.declare(r, data, now=now, keys=config.get("CHECK_SECRETS_KEY")) for data in doc["checks"]]
    by_name = {h["name"]: h for h in heartbeat_storage.all_heartbeats(r)}
    outcomes += [declare_heartbeat(r, data, by_name, now=now) for data in doc["heartbeats"]]
    return {"created": outcomes.count("created"), "updated": outcomes.count("updated"),
            "checks": len(doc["checks"]), "heartbeats": len(doc["heartbeats"])}
