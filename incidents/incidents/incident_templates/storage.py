"""Incident templates in Redis: ``incident-template:{id}`` (JSON), ``incident-templates`` (set)."""
from __future__ import annotations

import redis
from polystatus.records import Records

TEMPLATES = Records("incident-template", "incident-templates")
get, save, delete = TEMPLATES.get, TEMPLATES.save, TEMPLATES.delete


def all_templates(r: redis.Redis) -> list[dict]:
    return sorted(TEMPLATES.all(r), key=lambda t: t["name"].lower())
