from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, List, Nested, Raw, String
from apiflask.validators import Length, OneOf
from polystatus.text import Line, Name, NestedText, Pattern, Text

from .service import TYPES

KEY = Pattern(r"^[a-z0-9][a-z0-9._-]{0,63}$", error="Lower-case letters, digits, '.', '_' or '-' (64 at most).")


class RuleSchema(Schema):
    name = Name(validate=Length(max=80))
    when = Dict(validate=NestedText(), metadata={"description": '{"all"|"any": [{attribute, op, value}|...]} or {"segment": key}'})
    variant = Line(validate=Length(max=64))
    split = Dict(keys=Line(validate=Length(max=64)), values=Float(), metadata={"description": "variant -> percent"})
    bucket_by = Line(validate=Length(max=64))


class FlagIn(Schema):
    key = String(required=True, validate=KEY)
    description = Text(load_default="", validate=Length(max=500))
    type = String(required=True, validate=OneOf(list(TYPES)))
    variants = Dict(keys=Line(validate=Length(min=1, max=64)), values=Raw(allow_none=False, validate=NestedText()), required=True,
                    validate=Length(min=1, max=50))
    default_variant = Line(required=True, validate=Length(max=64))
    enabled = Boolean(load_default=True)
    rules = List(Nested(RuleSchema), load_default=list, validate=Length(max=100))
    client_visible = Boolean(load_default=False)
    owner = Name(load_default="", validate=Length(max=120))
    tags = List(Name(validate=Length(max=40)), load_default=list, validate=Length(max=20))
    metadata = Dict(keys=Line(validate=Length(min=1, max=64)), values=Raw(validate=NestedText()), load_default=dict,
                    validate=Length(max=20), metadata={"description": "OpenFeature flag metadata (scalars), "
                                                                     "returned with every evaluation"})


class FlagPatch(Schema):
    description = Text(validate=Length(max=500))
    variants = Dict(keys=Line(validate=Length(min=1, max=64)), values=Raw(allow_none=False, validate=NestedText()), validate=Length(min=1, max=50))
    default_variant = Line(validate=Length(max=64))
    enabled = Boolean()
    rules = List(Nested(RuleSchema), validate=Length(max=100))
    client_visible = Boolean()
    owner = Name(validate=Length(max=120))
    tags = List(Name(validate=Length(max=40)), validate=Length(max=20))
    metadata = Dict(keys=Line(validate=Length(min=1, max=64)), values=Raw(validate=NestedText()), validate=Length(max=20))


class FlagOut(FlagIn):
    created_at = String()
    updated_at = String()
    version = Raw()


class FlagListOut(Schema):
    flags = List(Nested(FlagOut))


class SegmentIn(Schema):
    key = String(required=True, validate=KEY)
    description = Text(load_default="", validate=Length(max=500))
    when = Dict(required=True, validate=NestedText())


class SegmentOut(SegmentIn):
    updated_at = String()


class AuditOut(Schema):
    entries = List(Dict())


class Document(Schema):
    flags = List(Dict(), required=True, validate=Length(max=5000))
    segments = List(Dict(), load_default=list, validate=Length(max=1000))


class ImportOut(Schema):
    created = Raw()
    updated = Raw()
    unchanged = Raw()
