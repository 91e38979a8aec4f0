"""The audit trail: every successful write on a service, recorded once as an event.

Each write becomes one ``audit.recorded`` event on the service's own stream (``events:<service>``),
so it travels like every other domain event and the users service keeps the trail
(users/users/audit). Two ways in, one record per request:

- **inside the write's own transaction**: :func:`polystatus.redis_store.commit` calls
  :func:`_attach` before EXEC, which queues the event on the same MULTI pipeline. The entry
  exists if and only if the write committed (ARCHITECTURE.md section 3). Flows that have the
  old and new versions of what they edit at hand say so first with :func:`describe`.
- **after the request**, for a write that committed no pipeline through ``commit`` (a write
  with ``pipe.execute()``, one done by another service on our behalf): published on its own
  pipeline once the answer is a success.

Routes that are writes by method but not by meaning (an OFREP evaluation is a POST read) or that
machines call at a high rate (pings, problem reports, agent results) say so with
:func:`exempt`, with the reason: the trail is about what people and scripts change.

No secret ever enters an entry: values are dropped by field name (:data:`SECRET_NAME`) and by
the route's input schema (every field declared ``polystatus.text.Secret``).
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

from flask import current_app, g, has_request_context, request

from . import auth, events, redis_store

log = logging.getLogger("polystatus.audit")

EVENT_TYPE = "audit.recorded"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REDACTED = "[redacted]"
# Field names whose values are secrets, or may carry one: a channel's webhook URL holds its
# token, a DSN its password. A target URL of a check is redacted too (it may hold a token in
# its query); the object's id says which check it was.
SECRET_NAME = re.compile(
    r"password|passwd|secret|token|dsn|api_?key|private_?key|signing_?key|credential|authorization|cookie|"
    r"(^|_)url$|ping_?key|webhook|signature|otp|recovery", re.IGNORECASE)
MAX_VALUE_CHARS = 2000  # a long text (a postmortem) is cut: the trail says what changed, not all of it
MAX_PART_BYTES = 32_768  # a before or after larger than this (a bulk import) is summarised by its size


def exempt(reason: str):
    """Mark a write route as not audited (say why: a read by POST, a machine's high-rate call)."""
    def decorator(view):
        view._polystatus_audit_exempt = reason
        return view
    return decorator


def write_by_get(reason: str):
    """Mark a GET route that changes state (a sign-in that arrives as a browser redirect, an
    OpenID Connect callback): it is audited like a write, but only when it says what it did with
    :func:`describe` (its refusals, answered by a redirect too, are not writes)."""
    def decorator(view):
        view._polystatus_audit_get = reason
        return view
    return decorator


def describe(*, object_type: str | None = None, object_id: str | None = None, action: str | None = None,
             before: dict | None = None, after: dict | None = None) -> None:
    """Say what this request's write is, when the route alone does not (or to add before/after).
    Call it before the write commits. Outside a request it does nothing (a worker's writes)."""
    if not has_request_context():
        return
    noted = g.setdefault("audit_described", {})
    for key, value in (("object_type", object_type), ("object_id", object_id), ("action", action),
                       ("before", before), ("after", after)):
        if value is not None:
            noted[key] = value


def redact(value, secret_fields: frozenset[str] = frozenset()):
    """A copy of ``value`` with every secret replaced by :data:`REDACTED` (nested too)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = str(key)
            if name in secret_fields or SECRET_NAME.search(name):
                out[name] = REDACTED if item not in (None, "") else item
            else:
                out[name] = redact(item, secret_fields)
        return out
    if isinstance(value, list):
        return [redact(item, secret_fields) for item in value[:200]]
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + "…"
    return value


def schema_secret_fields(schema) -> frozenset[str]:
    """Names of the fields declared ``polystatus.text.Secret`` in a marshmallow schema (nested)."""
    from marshmallow import Schema, fields

    from .text import Secret

    found: set[str] = set()

    def walk(item, depth=0):
        if depth > 5 or item is None:
            return
        if isinstance(item, type) and issubclass(item, Schema):
            item = item()
        if not isinstance(item, Schema):
            return
        for name, field in item.fields.items():
            target = field.inner if isinstance(field, fields.List) else field
            if isinstance(target, Secret):
                found.update({name, field.data_key or name})
            elif isinstance(target, fields.Nested):
                walk(target.schema, depth + 1)

    try:
        walk(schema)
    except Exception:  # noqa: BLE001 (a schema we cannot walk: redaction by name still applies)
        log.debug("could not walk schema %r for secret fields", schema)
    return frozenset(found)


def _view():
    return current_app.view_functions.get(request.endpoint) if request.endpoint else None


def _applies() -> bool:
    if g.get("audit_recorded") or not current_app.config.get("AUDIT_WRITES", True):
        return False
    view = _view()
    if request.method not in WRITE_METHODS:
        return request.method == "GET" and getattr(view, "_polystatus_audit_get", None) is not None \
            and "audit_described" in g
    return view is not None and not getattr(view, "_polystatus_audit_exempt", None)


def _actor() -> dict:
    try:
        identity = auth.current_identity()
    except Exception:  # noqa: BLE001 (a bad token on a route that does not need one: anonymous)
        identity = None
    if identity is None:
        return {"kind": "anonymous", "id": None, "email": None, "role": None}
    kind = "service" if identity.role == "service" else identity.claims.get("actor_kind", "user")
    return {"kind": kind, "id": identity.sub, "email": identity.email, "role": identity.role}


def _route_description() -> dict:
    rule = request.url_rule.rule if request.url_rule else request.path
    segments = [part for part in rule.strip("/").split("/") if part]
    static = [part for part in segments if not part.startswith("<")]
    args = request.view_args or {}
    object_id = next((str(value) for value in args.values()), None)
    last = segments[-1] if segments else ""
    if request.method == "DELETE":
        action = "delete"
    elif request.method == "PATCH":
        action = "update"
    elif request.method == "GET":
        action = static[-1] if static else "get"
    elif request.method == "PUT":
        action = static[-1] if len(static) > 1 and not last.startswith("<") else "set"
    elif last.startswith("<") or len(static) <= 1:
        action = "create"
    else:
        action = static[-1]  # /incidents/<id>/updates, /checks/<id>/run, /auth/login
    return {"object_type": static[0] if static else "", "object_id": object_id, "action": action, "route": rule}


def entry() -> dict:
    """The audit entry of the current request (its event's data)."""
    view = _view()
    secret_fields = getattr(view, "_polystatus_audit_secrets", None)
    if secret_fields is None:  # once per route: its schema does not change
        secret_fields = schema_secret_fields((getattr(view, "_spec", None) or {}).get("body"))
        if view is not None:
            view._polystatus_audit_secrets = secret_fields
    described = {**_route_description(), **g.get("audit_described", {})}
    body = request.get_json(silent=True) if request.is_json else None
    if described["object_id"] is None and isinstance(body, dict):
        # A create names its object when the caller chose the id (a flag's key).
        chosen = body.get("id") or body.get("key")
        described["object_id"] = str(chosen) if isinstance(chosen, str | int) else None
    after = described.get("after", body if isinstance(body, dict) else None)
    config = current_app.config
    return {
        "service": config["SERVICE_NAME"],
        "actor": _actor(),
        "method": request.method,
        "route": described["route"],
        "path": request.path,
        "object": {"type": described["object_type"], "id": described["object_id"]},
        "action": described["action"],
        "address": auth.caller_address(),
        "before": _bounded(redact(described.get("before"), secret_fields)),
        # the body as sent is no larger than the request (redaction only shortens it)
        "after": redact(after, secret_fields) if after is body and (request.content_length or 0) <= MAX_PART_BYTES
        else _bounded(redact(after, secret_fields)),
    }


def _bounded(part):
    if part is None:
        return None
    size = len(json.dumps(part, default=str))
    return part if size <= MAX_PART_BYTES else {"truncated": True, "bytes": size}


def _attach(pipe) -> Callable[[], None] | None:
    """redis_store.commit's hook: queue this request's entry on the write's own pipeline."""
    if not has_request_context() or not _applies():
        return None
    # Only on the service's own Redis (its stream lives there), not on another store it writes.
    if getattr(pipe, "owner", None) is not current_app.extensions.get("redis"):
        return None
    from .logs import current_request_id

    events.publish(pipe, current_app.config["SERVICE_NAME"], EVENT_TYPE, entry(),
                   request_id=current_request_id(), now=current_app.config["CLOCK"].now())

    def recorded():
        g.audit_recorded = True
    return recorded


def init_app(app) -> None:
    redis_store.before_commit = _attach

    @app.after_request
    def _record_uncommitted_write(response):
        """A successful write that did not commit through redis_store.commit: recorded now."""
        if response.status_code >= 400 or not _applies():
            return response
        from .logs import current_request_id

        try:
            r = current_app.extensions["redis"]
            pipe = r.pipeline(transaction=True)
            events.publish(pipe, app.config["SERVICE_NAME"], EVENT_TYPE, entry(),
                           request_id=current_request_id(), now=app.config["CLOCK"].now())
            pipe.execute()
            g.audit_recorded = True
        except Exception:
            # The write itself stands; refusing its answer would make the caller send it again.
            log.exception("a write could not be audited", extra={"fields": {"path": request.path}})
        return response
