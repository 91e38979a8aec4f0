"""Checks and heartbeats declared in a YAML file (as Server Status Check and Gatus do).

    checks:
      - name: API health
        kind: assertions
        url: https://api.example.com/health
        interval: 60
        conditions: ["[STATUS] == 200", "[BODY].status == \\"ok\\""]
    heartbeats:
      - name: nightly-backup
        schedule: "0 3 * * *"
        tz: Europe/Paris
        grace: 3600

Applied idempotently by name: a declared item is created or updated to match; items not in
the file are left alone (the API may own them). An invalid file changes nothing and the error
names the item and the field.
"""
from __future__ import annotations

import yaml
from marshmallow import ValidationError
from polystatus.errors import Invalid

from .checks import schemas as check_schemas
from .checks import service as check_service
from .heartbeats import schemas as heartbeat_schemas
from .heartbeats import service as heartbeat_service


class ConfigError(Invalid):
    pass


def load(text: str) -> dict:
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"The config file is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(doc, dict) or set(doc) - {"checks", "heartbeats"}:
        raise ConfigError("The config file has two sections: checks and heartbeats.")
    checks, heartbeats, errors = [], [], {}
    for index, item in enumerate(doc.get("checks") or []):
        try:
            data = check_schemas.CheckIn().load(item)
            check_service.check_name(data["name"])
            if data["kind"] == "assertions":
                check_service.compile_conditions(data.get("conditions") or ["[STATUS] == 200"])
            checks.append(data)
        except ValidationError as exc:
            errors[f"checks[{index}] ({item.get('name', '?') if isinstance(item, dict) else '?'})"] = exc.messages
        except Invalid as exc:
            errors[f"checks[{index}] ({item.get('name')})"] = exc.details or exc.message
    for index, item in enumerate(doc.get("heartbeats") or []):
        try:
            data = heartbeat_schemas.HeartbeatIn().load(item)
            check_service.check_name(data["name"])
            heartbeat_service.validate_schedule(data.get("schedule"), data.get("tz"))
            if not data.get("timeout") and not data.get("schedule"):
                raise Invalid("timeout or schedule is needed", details={"timeout": ["Required."]})
            heartbeats.append(data)
        except ValidationError as exc:
            errors[f"heartbeats[{index}] ({item.get('name', '?') if isinstance(item, dict) else '?'})"] = exc.messages
        except Invalid as exc:
            errors[f"heartbeats[{index}] ({item.get('name')})"] = exc.details or exc.message
    names = [c["name"] for c in checks]
    if len(names) != len(set(names)):
        errors["checks"] = ["Names must be unique."]
    if errors:
        raise ConfigError("The config file has errors; nothing was applied.", details=errors)
    return {"checks": checks, "heartbeats": heartbeats}
