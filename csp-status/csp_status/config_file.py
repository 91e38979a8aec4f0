"""Checks and heartbeats declared in a YAML file (as Server Status Check and Gatus do).

    checks:
      - name: API health
        kind: assertions
        url: https://api.example.com/health
        interval: 60
        conditions: ["[STATUS] == 200", "[BODY].status == UP"]
    heartbeats:
      - name: nightly-backup
        schedule: "0 3 * * *"
        tz: Europe/Paris
        grace: 3600

Applied idempotently by name: a declared item is created or updated to match; items not in
the file are left alone (the API may own them). An invalid file changes nothing and the error
names the item and the field. Every item passes the same validation as the API's
(``checks.spec``, ``heartbeats.service.heartbeat_rules``): a file cannot hold a check the API
would refuse (a private target, a missing field, a condition that does not parse).
"""
from __future__ import annotations

import yaml
from marshmallow import ValidationError
from polystatus.errors import Invalid

from .checks import spec as check_spec
from .heartbeats import schemas as heartbeat_schemas
from .heartbeats import service as heartbeat_service


class ConfigError(Invalid):
    pass


def read_yaml(text: str, what: str = "The config file"):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{what} is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None


def _label(section: str, index: int, item) -> str:
    return f"{section}[{index}] ({item.get('name', '?') if isinstance(item, dict) else '?'})"


def load(text: str, *, allow_private) -> dict:
    doc = read_yaml(text) or {}
    if not isinstance(doc, dict) or set(doc) - {"checks", "heartbeats"}:
        raise ConfigError("The config file has two sections: checks and heartbeats.")
    checks, heartbeats, errors = [], [], {}
    for index, item in enumerate(doc.get("checks") or []):
        try:
            checks.append(check_spec.load(item, allow_private=allow_private))
        except Invalid as exc:
            errors[_label("checks", index, item)] = exc.details or exc.message
    for index, item in enumerate(doc.get("heartbeats") or []):
        try:
            data = heartbeat_schemas.HeartbeatIn().load(item)
            heartbeat_service.heartbeat_rules(data)
            heartbeats.append(data)
        except ValidationError as exc:
            errors[_label("heartbeats", index, item)] = exc.messages
        except Invalid as exc:
            errors[_label("heartbeats", index, item)] = exc.details or exc.message
    names = [c["name"] for c in checks]
    if len(names) != len(set(names)):
        errors["checks"] = ["Names must be unique."]
    if errors:
        raise ConfigError("The config file has errors; nothing was applied.", details=errors)
    return {"checks": checks, "heartbeats": heartbeats}
