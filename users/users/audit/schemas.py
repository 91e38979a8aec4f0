from apiflask import Schema
from apiflask.fields import DateTime, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from polystatus.text import Line

SERVICES = OneOf(["incidents", "users", "comms", "csp-status", "feature-flags"])


class AuditQuery(Schema):
    actor = Line(validate=Length(max=254), metadata={"description": "user id or email, or `anonymous` / `service`"})
    object = Line(validate=Length(max=200), metadata={"description": "object type (`incidents`) or `type/id`"})
    service = String(validate=SERVICES)
    since = DateTime(metadata={"description": "from this time (ISO 8601, inclusive)"})
    until = DateTime(metadata={"description": "up to this time (ISO 8601, inclusive)"})


class AuditPageQuery(AuditQuery):
    page = Integer(load_default=1, validate=Range(min=1, max=100_000))
    per_page = Integer(load_default=50, validate=Range(min=1, max=200))


class AuditExportQuery(AuditQuery):
    limit = Integer(load_default=100_000, validate=Range(min=1, max=1_000_000))


class Actor(Schema):
    kind = String()
    id = String(allow_none=True)
    email = String(allow_none=True)
    role = String(allow_none=True)


class AuditObject(Schema):
    type = String()
    id = String(allow_none=True)


class AuditEntry(Schema):
    id = String()
    time = String(metadata={"format": "date-time"})
    service = String()
    actor = Nested(Actor)
    method = String()
    route = String()
    path = String()
    object = Nested(AuditObject)
    action = String()
    address = String()
    request_id = String()
    before = Dict(allow_none=True)
    after = Dict(allow_none=True)


class AuditPage(Schema):
    entries = List(Nested(AuditEntry))
    total = Integer()
    page = Integer()
    per_page = Integer()
