"""The one validation of a check (issue 18). The API, the YAML config file, the Gatus import and
the agent all come through here, so a check one of them refuses, they all refuse.

- ``schemas.CheckIn``: field types and ranges (the API applies it as its input schema; ``load``
  applies it for everything else);
- ``service.check_rules``: the rules between fields (a url for the HTTP kinds, host and port for
  tcp, conditions that parse, ...), pure;
- ``targets``: where requests may go (the SSRF rule), which resolves names.
"""
from __future__ import annotations

from marshmallow import ValidationError
from polystatus.errors import Invalid

from .. import targets
from . import kinds, schemas, service


def load(raw, *, allow_private, existing: dict | None = None, resolve: bool = True) -> dict:
    """Raw input (a YAML item, an imported endpoint, a PATCH body over ``existing``) -> a valid
    check config with its defaults, or Invalid naming each wrong field."""
    if not isinstance(raw, dict):
        raise Invalid("A check is a mapping of fields.", details={"_schema": ["Not a mapping."]})
    try:
        data = schemas.CheckIn(partial=existing is not None).load(raw)
    except ValidationError as exc:
        raise Invalid("The check has invalid fields.", details=exc.messages) from None
    check = service.edited(existing, data, defaults=schemas.defaults())
    validate(check, allow_private=allow_private, resolve=resolve)
    return check


def validate(check: dict, *, allow_private, resolve: bool = True) -> None:
    """The rules between fields, then the targets. ``resolve=False`` checks addresses written as
    IP literals only (an agent, whose engine checks every resolved address as it connects)."""
    service.check_rules(check)
    kind = check["kind"]
    if kind in service.HTTP_KINDS:
        targets.check_url(check["url"], allow_private, resolve=resolve)
    elif kind == "tcp":
        targets.check_url(targets.host_url(check["host"], check["port"]), allow_private, resolve=resolve)
    elif kind == "dns" and check.get("server"):
        host, port = targets.split_host_port(check["server"], 53)
        targets.check_url(targets.host_url(host, port), allow_private, resolve=resolve)
    elif kind in service.DATASTORE_KINDS:
        dsn = kinds.parse_dsn(check["dsn"])
        targets.check_url(targets.host_url(dsn.host, dsn.port), allow_private, resolve=resolve)
    elif kind == "icmp":
        targets.check_url(targets.host_url(check["host"].strip("[]"), 443), allow_private, resolve=resolve)
