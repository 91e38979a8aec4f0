from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from ..components.schemas import ID, STATUS
from .service import IMPACTS, STATUSES

COMPONENTS = Dict(keys=String(validate=ID), values=String(validate=STATUS),
                  metadata={"description": "component id -> status to set"})


class IncidentIn(Schema):
    name = String(required=True, validate=Length(min=1, max=200))
    status = String(required=True, validate=OneOf(["investigating", "identified", "monitoring", "resolved"]))
    message = String(required=True, validate=Length(min=1, max=10000))
    impact = String(validate=OneOf(IMPACTS), metadata={"description": "Overrides the impact derived from components"})
    components = Dict(keys=String(validate=ID), values=String(validate=STATUS), load_default=dict)


class UpdateIn(Schema):
    status = String(required=True, validate=OneOf(STATUSES))
    message = String(required=True, validate=Length(min=1, max=10000))
    components = Dict(keys=String(validate=ID), values=String(validate=STATUS))
    impact = String(validate=OneOf(IMPACTS))


class AffectedComponent(Schema):
    code = String()
    name = String()
    old_status = String()
    new_status = String()


class IncidentUpdate(Schema):
    id = String()
    status = String()
    body = String()
    incident_id = String()
    created_at = String()
    updated_at = String()
    display_at = String()
    affected_components = List(Nested(AffectedComponent))
    deliver_notifications = Boolean()


class ComponentRef(Schema):
    id = String()
    name = String()
    status = String()


class IncidentOut(Schema):
    id = String()
    name = String()
    status = String()
    impact = String()
    created_at = String()
    updated_at = String()
    started_at = String(allow_none=True)
    monitoring_at = String(allow_none=True)
    resolved_at = String(allow_none=True)
    shortlink = String()
    page_id = String()
    automated = Boolean()
    taken_over = Boolean()
    postmortem_body = String(allow_none=True)
    incident_updates = List(Nested(IncidentUpdate))
    components = List(Nested(ComponentRef))


class HistoryQuery(Schema):
    page = Integer(load_default=1, validate=Range(min=1, max=10000))
    per_page = Integer(load_default=20, validate=Range(min=1, max=100))
    component = String(validate=ID)
    status = String(validate=OneOf(STATUSES + ("open",)))
    since = String(validate=Length(max=40), metadata={"format": "date-time"})
    until = String(validate=Length(max=40), metadata={"format": "date-time"})


class IncidentPageOut(Schema):
    incidents = List(Nested(IncidentOut))
    page = Integer()
    per_page = Integer()
    total = Integer()
