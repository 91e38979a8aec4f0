from apiflask import Schema
from apiflask.fields import Boolean, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from polystatus.text import Name, Pattern, Text

from .service import STATUSES

STATUS = OneOf(STATUSES)
PROBLEM_TYPE = Pattern(r"^[a-z0-9][a-z0-9_-]{0,31}$", error="Lower-case letters, digits, '-' or '_' (32 at most).")
ID = Pattern(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="Lower-case letters, digits, '-' or '_' (64 at most).")


class ComponentIn(Schema):
    id = String(validate=ID, metadata={"description": "Optional fixed id (default: generated)"})
    name = Name(required=True, validate=Length(min=1, max=120))
    description = Text(load_default="", validate=Length(max=1000))
    group_id = String(load_default=None, allow_none=True, validate=ID)
    position = Integer(load_default=0, validate=Range(min=0, max=100000))
    only_show_if_degraded = Boolean(load_default=False)
    problem_types = List(String(validate=PROBLEM_TYPE), validate=Length(min=1, max=20))
    status = String(validate=STATUS)


class ComponentPatch(Schema):
    name = Name(validate=Length(min=1, max=120))
    description = Text(validate=Length(max=1000))
    group_id = String(allow_none=True, validate=ID)
    position = Integer(validate=Range(min=0, max=100000))
    only_show_if_degraded = Boolean()
    problem_types = List(String(validate=PROBLEM_TYPE), validate=Length(min=1, max=20))
    status = String(validate=STATUS)


class ComponentOut(Schema):
    id = String()
    name = String()
    description = String()
    group_id = String(allow_none=True)
    position = Integer()
    status = String()
    only_show_if_degraded = Boolean()
    problem_types = List(String())
    created_at = String()
    updated_at = String()


class GroupIn(Schema):
    id = String(validate=ID)
    name = Name(required=True, validate=Length(min=1, max=120))
    description = Text(load_default="", validate=Length(max=1000))
    position = Integer(load_default=0, validate=Range(min=0, max=100000))


class GroupPatch(Schema):
    name = Name(validate=Length(min=1, max=120))
    description = Text(validate=Length(max=1000))
    position = Integer(validate=Range(min=0, max=100000))


class GroupOut(Schema):
    id = String()
    name = String()
    description = String()
    position = Integer()
    created_at = String()
    updated_at = String()


class ComponentListOut(Schema):
    components = List(Nested(ComponentOut))
    groups = List(Nested(GroupOut))


class UptimeQuery(Schema):
    days = Integer(load_default=90, validate=Range(min=1, max=90))


class DayIncident(Schema):
    id = String()
    name = String()
    impact = String()


class Day(Schema):
    date = String()
    uptime_pct = Float()
    worst_status = String()
    incidents = List(Nested(DayIncident))


class UptimeOut(Schema):
    component_id = String()
    uptime_pct = Float()
    days = List(Nested(Day))
