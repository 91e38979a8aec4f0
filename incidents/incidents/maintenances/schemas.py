from apiflask import Schema
from apiflask.fields import AwareDateTime, List, String
from apiflask.validators import Length, OneOf
from polystatus.text import Name, Text

from ..components.schemas import ID
from ..incidents.schemas import IncidentOut
from .service import STATUSES


class MaintenanceIn(Schema):
    name = Name(required=True, validate=Length(min=1, max=200))
    message = Text(load_default="Scheduled maintenance.", validate=Length(max=10000))
    scheduled_for = AwareDateTime(required=True, format="iso")
    scheduled_until = AwareDateTime(required=True, format="iso")
    components = List(String(validate=ID), load_default=list, validate=Length(max=100))


class MaintenancePatch(Schema):
    name = Name(validate=Length(min=1, max=200))
    message = Text(validate=Length(min=1, max=10000), metadata={"description": "the text of the announcement"})
    scheduled_for = AwareDateTime(format="iso")
    scheduled_until = AwareDateTime(format="iso")
    components = List(String(validate=ID), validate=Length(max=100))


class MaintenanceUpdateIn(Schema):
    status = String(required=True, validate=OneOf(STATUSES))
    message = Text(required=True, validate=Length(min=1, max=10000))


class MaintenanceOut(IncidentOut):
    scheduled_for = String()
    scheduled_until = String()
