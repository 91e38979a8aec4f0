"""Template flows (no Flask): one create and one update serve the API and any other writer."""
from __future__ import annotations

from datetime import datetime

import redis
from polystatus.clock import isoformat
from polystatus.errors import Invalid, NotFound

from ..components import storage as components_storage
from ..ids import new_id
from . import storage


def _check_components(r: redis.Redis, requested: dict) -> None:
    known = {c["id"] for c in components_storage.all_components(r)}
    unknown = sorted(set(requested) - known)
    if unknown:
        raise Invalid("Unknown components.", details={"components": unknown})


def create(r: redis.Redis, now: datetime, data: dict) -> dict:
    _check_components(r, data["components"])
    stamp = isoformat(now)
    template = {"id": new_id(now.timestamp()), **data, "created_at": stamp, "updated_at": stamp}
    storage.save(r, template)
    return template


def update(r: redis.Redis, now: datetime, template_id: str, data: dict) -> dict:
    template = storage.get(r, template_id)
    if template is None:
        raise NotFound("No such incident template.")
    if "components" in data:
        _check_components(r, data["components"])
    template.update(data, updated_at=isoformat(now))
    storage.save(r, template)
    return template
