"""Every event on every stream, declared once: which types a producer publishes and the fields
each one's data carries. ARCHITECTURE.md section 3 says what the events mean; this says their
shape, so a producer and its consumers cannot drift apart unseen.

Held by tests on both sides (no cost in production):

- producers: every test's Redis is read at its end by the ``polystatus.testing`` plugin, and
  every entry of a producer's stream (``events:<service>``) must match its contract: the
  events the producer's tests cause, Lua-published ones included (heartbeats), are checked;
- consumers: the events a consumer's tests feed it are entries of the same streams, checked
  the same way, and each consumer states the fields it reads (``READS`` below), which the
  contract must declare (``lib/tests/test_contracts.py``).

A field's value is one of the JSON kinds named by its declaration; ``OPTIONAL`` fields may be
absent. A field a contract does not declare is refused: adding one is a change to this file.
"""
from __future__ import annotations

from dataclasses import dataclass, field

STR, INT, NUM, BOOL, DICT, LIST, NULL = (str,), (int,), (int, float), (bool,), (dict,), (list,), (type(None),)


@dataclass(frozen=True)
class Contract:
    fields: dict[str, tuple]
    optional: dict[str, tuple] = field(default_factory=dict)


_INCIDENT = {"incident": DICT, "update": DICT + NULL, "automated": BOOL}
_MAINTENANCE = Contract({"maintenance": DICT})
_CHECK_STATUS = Contract(
    {"check_id": STR, "name": STR, "source": STR, "state": STR, "previous_state": STR, "component_ids": LIST,
     "reason": STR, "regions": DICT, "at": STR},
    optional={"last_result": DICT})
# never the key nor its digest; scopes as stored, space-separated
_API_KEY = Contract({"key_id": STR, "kind": STR, "name": STR, "prefix": STR, "owner_id": STR, "scopes": STR,
                     "by": STR})
_FLAG = Contract({"key": STR, "action": STR, "actor": STR + NULL, "before": DICT + NULL, "after": DICT + NULL})

# polystatus.audit: every successful write of every service, on that service's own stream.
_AUDIT = Contract(
    {"service": STR, "actor": DICT, "object": DICT, "action": STR},
    # an entry made outside a request (a CLI, a worker acting for someone) has no request parts
    optional={"method": STR, "route": STR, "path": STR, "address": STR + NULL, "before": DICT + LIST + NULL,
              "after": DICT + LIST + NULL})
_AUDITED = {"audit.recorded": _AUDIT}

CONTRACTS: dict[str, dict[str, Contract]] = {
    "incidents": {
        **_AUDITED,
        "incident.created": Contract(_INCIDENT),
        "incident.updated": Contract(_INCIDENT),
        "incident.resolved": Contract(_INCIDENT),
        "incident.deleted": Contract(_INCIDENT),
        "incident.edited": Contract({**_INCIDENT, "edits": LIST}),
        "component.status_changed": Contract(
            {"component_id": STR, "name": STR, "old_status": STR, "new_status": STR, "incident_id": STR + NULL,
             "at": STR}),
        "maintenance.scheduled": _MAINTENANCE,
        "maintenance.started": _MAINTENANCE,
        "maintenance.updated": _MAINTENANCE,
        "maintenance.completed": _MAINTENANCE,
        "reports.spike": Contract(
            {"component_id": STR, "name": STR, "state": STR, "previous_state": STR, "count": INT, "baseline": NUM,
             "top_problems": LIST, "at": STR}),
    },
    "users": {
        **_AUDITED,
        "user.created": Contract({"user_id": STR, "email": STR, "role": STR}),
        "user.role_changed": Contract({"user_id": STR, "email": STR, "old_role": STR, "new_role": STR, "by": STR}),
        "user.password_reset": Contract({"user_id": STR}),
        "user.deleted": Contract({"user_id": STR, "email": STR}),
        "user.totp_enabled": Contract({"user_id": STR}),
        "user.totp_disabled": Contract({"user_id": STR, "by": STR}),
        # a passkey's credential id (base64url) and the name its owner gave it; never its key
        "user.passkey_added": Contract({"user_id": STR, "passkey_id": STR, "name": STR}),
        "user.passkey_removed": Contract({"user_id": STR, "passkey_id": STR, "by": STR}),
        "api_key.created": _API_KEY,
        "api_key.revoked": _API_KEY,
    },
    "csp-status": {
        **_AUDITED,
        # published by checks, heartbeats (in their Lua script) and providers, one builder:
        # csp_status.checks.service.status_changed
        "check.status_changed": _CHECK_STATUS,
        "check.expiry_warning": Contract(
            {"check_id": STR, "name": STR, "component_ids": LIST, "what": STR, "subject": STR, "expires_at": STR,
             "days_left": INT, "threshold": INT, "at": STR}),
        "provider.status_changed": Contract(
            {"provider_id": STR, "name": STR, "at": STR, "component": STR + NULL, "previous_state": STR + NULL,
             "state": STR}),
    },
    "feature-flags": {
        **_AUDITED,
        "flag.changed": _FLAG,
        "segment.changed": _FLAG,
    },
    "comms": _AUDITED,  # comms publishes nothing else
}

# What each consumer reads of the events it takes (its handler's fields), by stream and type.
# A consumer reading a field no contract declares fails lib/tests/test_contracts.py.
_INCIDENT_READS = {"incident", "update"}
READS: dict[str, dict[str, dict[str, set[str]]]] = {
    "incidents": {  # automation.flows.handle_check_event
        "csp-status": {"check.status_changed": {"check_id", "state", "component_ids"}},
    },
    "comms": {  # deliveries.service (severity, components_of, message, sentry_event, statuspage_webhook)
        "incidents": {
            **{kind: _INCIDENT_READS for kind in ("incident.created", "incident.updated", "incident.resolved",
                                                  "incident.deleted", "incident.edited")},
            **{kind: {"maintenance"} for kind in ("maintenance.scheduled", "maintenance.started",
                                                   "maintenance.updated", "maintenance.completed")},
            "component.status_changed": {"component_id", "name", "old_status", "new_status", "at"},
            "reports.spike": {"component_id", "name", "state", "count", "baseline", "top_problems"},
        },
        "csp-status": {
            "check.status_changed": {"check_id", "name", "state", "previous_state", "reason", "component_ids",
                                     "last_result", "regions", "source", "at"},
            "check.expiry_warning": {"name", "component_ids", "what", "subject", "expires_at", "days_left",
                                     "threshold"},
        },
        "users": {"user.deleted": {"user_id"}},
    },
    # users keeps the audit trail (audit.service.stored_entry keeps the whole entry)
    "users": {stream: {"audit.recorded": set(_AUDIT.fields) | set(_AUDIT.optional)}
              for stream in ("incidents", "users", "comms", "csp-status", "feature-flags")},
}


class ContractError(ValueError):
    pass


def _kind(value) -> str:
    return "null" if value is None else type(value).__name__


def check(stream: str, type_: str, data) -> None:
    """Raise ContractError naming what in ``data`` does not match the contract of ``type_`` on
    ``stream`` (a producer's service name)."""
    declared = CONTRACTS.get(stream)
    if declared is None:
        raise ContractError(f"no contract for the stream of {stream!r}")
    contract = declared.get(type_)
    if contract is None:
        raise ContractError(f"{stream}: {type_!r} is not a declared event type")
    if not isinstance(data, dict):
        raise ContractError(f"{stream} {type_}: data is {_kind(data)}, not an object")
    problems = [f"{name} missing" for name in contract.fields if name not in data]
    allowed = {**contract.fields, **contract.optional}
    for name, value in data.items():
        kinds = allowed.get(name)
        if kinds is None:
            problems.append(f"{name} undeclared")
        elif not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            problems.append(f"{name} is {_kind(value)}")
    if problems:
        raise ContractError(f"{stream} {type_}: " + ", ".join(problems))
