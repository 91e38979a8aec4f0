from apiflask import Schema
from apiflask.fields import Dict, List, Nested, String
from apiflask.validators import Length, OneOf
from polystatus.text import Name, Text

from ..components.schemas import ID, STATUS
from ..incidents.service import IMPACTS, OPEN


class TemplateIn(Schema):
    """Statuspage's incident template (name, title, body, update_status, components), with the
    status each component takes, as our incidents carry it."""

    name = Name(required=True, validate=Length(min=1, max=120), metadata={"description": "how staff find it"})
    title = Name(required=True, validate=Length(min=1, max=200), metadata={"description": "the incident's name"})
    body = Text(required=True, validate=Length(min=1, max=10000), metadata={"description": "the first message"})
    update_status = String(load_default="investigating", validate=OneOf(OPEN))
    impact = String(load_default=None, allow_none=True, validate=OneOf(IMPACTS))
    components = Dict(keys=String(validate=ID), values=String(validate=STATUS), load_default=dict)


class TemplatePatch(Schema):
    name = Name(validate=Length(min=1, max=120))
    title = Name(validate=Length(min=1, max=200))
    body = Text(validate=Length(min=1, max=10000))
    update_status = String(validate=OneOf(OPEN))
    impact = String(allow_none=True, validate=OneOf(IMPACTS))
    components = Dict(keys=String(validate=ID), values=String(validate=STATUS))


class TemplateOut(TemplateIn):
    id = String()
    created_at = String()
    updated_at = String()


class TemplateListOut(Schema):
    templates = List(Nested(TemplateOut))
