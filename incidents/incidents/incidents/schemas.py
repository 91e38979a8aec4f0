from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, Raw, String
from apiflask.validators import Length, OneOf, Range
from polystatus.text import Line, Name, Text

from ..components.schemas import ID, STATUS
from .service import IMPACTS, OPEN, STATUSES

COMPONENTS = Dict(keys=String(validate=ID), values=String(validate=STATUS),
                  metadata={"description": "component id -> status to set"})


class IncidentIn(Schema):
    name = Name(required=True, validate=Length(min=1, max=200))
    status = String(required=True, validate=OneOf([*OPEN, "resolved"]))
    message = Text(required=True, validate=Length(min=1, max=10000))
    impact = String(validate=OneOf(IMPACTS), metadata={"description": "Overrides the impact derived from components"})
    components = Dict(keys=String(validate=ID), values=String(validate=STATUS), load_default=dict)


class UpdateIn(Schema):
    status = String(required=True, validate=OneOf(STATUSES))
    message = Text(required=True, validate=Length(min=1, max=10000))
    components = Dict(keys=String(validate=ID), values=String(validate=STATUS))
    impact = String(validate=OneOf(IMPACTS))


class IncidentPatch(Schema):
    name = Name(validate=Length(min=1, max=200))
    impact = String(allow_none=True, validate=OneOf(IMPACTS),
                    metadata={"description": "Statuspage's impact_override; null derives it from the components again"})
    components = Dict(keys=String(validate=ID), values=String(validate=STATUS),
                      metadata={"description": "the complete set: component id -> status; a component left out is released"})


class UpdatePatch(Schema):
    body = Text(required=True, validate=Length(min=1, max=10000))


class PostmortemIn(Schema):
    body = Text(required=True, validate=Length(max=50000), metadata={"description": "Markdown"})


class Edit(Schema):
    at = String()
    by = String()
    field = String(metadata={"description": "name | impact | components | update_body | postmortem"})
    update_id = String()
    before = Raw(allow_none=True)
    after = Raw(allow_none=True)


class EditsOut(Schema):
    edits = List(Nested(Edit))


class PostmortemOut(Schema):
    incident_id = String()
    status = String()
    body_draft = String(allow_none=True)
    body = String(allow_none=True)
    last_updated_at = String(allow_none=True)
    last_edited_by = String(allow_none=True)
    published_at = String(allow_none=True)


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
    impact_override = Boolean(metadata={"description": "the impact was set by staff, not derived from the components"})
    postmortem_body = String(allow_none=True)
    postmortem_published_at = String(allow_none=True)
    incident_updates = List(Nested(IncidentUpdate))
    components = List(Nested(ComponentRef))


class HistoryQuery(Schema):
    page = Integer(load_default=1, validate=Range(min=1, max=10000))
    per_page = Integer(load_default=20, validate=Range(min=1, max=100))
    component = String(validate=ID)
    status = String(validate=OneOf(STATUSES + ("open",)))
    since = Line(validate=Length(max=40), metadata={"format": "date-time"})
    until = Line(validate=Length(max=40), metadata={"format": "date-time"})
    q = Line(validate=Length(max=100), metadata={"description": "Words the name or an update must all contain (any case)"})


class IncidentPageOut(Schema):
    incidents = List(Nested(IncidentOut))
    page = Integer()
    per_page = Integer()
    total = Integer()
