from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, List, Nested, Raw, String
from apiflask.validators import Length, OneOf, Regexp

from .service import TYPES

KEY = Regexp(r"^[a-z0-9][a-z0-9._-]{0,63}$", error="Lower-case letters, digits, '.', '_' or '-' (64 at most).")


class RuleSchema(Schema):
    name = String(validate=Length(max=80))
    when = Dict(metadata={"description": '{"all"|"any": [{attribute, op, value}|...]} or {"segment": key}'})
    variant = String(validate=Length(max=64))
    split = Dict(keys=String(validate=Length(max=64)), values=Float(), metadata={"description": "variant -> percent"})
    bucket_by = String(validate=Length(max=64))


class FlagIn(Schema):
    key = String(required=True, validate=KEY)
    description = String(load_default="", validate=Length(max=500))
    type = String(required=True, validate=OneOf(list(TYPES)))
    variants = Dict(keys=String(validate=Length(min=1, max=64)), values=Raw(allow_none=False), required=True,
                    validate=Length(min=1, max=50))
    default_variant = String(required=True, validate=Length(max=64))
    enabled = Boolean(load_default=True)
    rules = List(Nested(RuleSchema), load_default=list, validate=Length(max=100))
    client_visible = Boolean(load_default=False)
    owner = String(load_default="", validate=Length(max=120))
    tags = List(String(validate=Length(max=40)), load_default=list, validate=Length(max=20))


class FlagPatch(Schema):
    description = String(validate=Length(max=500))
    variants = Dict(keys=String(validate=Length(min=1, max=64)), values=Raw(allow_none=False), validate=Length(min=1, max=50))
    default_variant = String(validate=Length(max=64))
    enabled = Boolean()
    rules = List(Nested(RuleSchema), validate=Length(max=100))
    client_visible = Boolean()
    owner = String(validate=Length(max=120))
    tags = List(String(validate=Length(max=40)), validate=Length(max=20))


class FlagOut(FlagIn):
    created_at = String()
    updated_at = String()
    version = Raw()


class FlagListOut(Schema):
    flags = List(Nested(FlagOut))


class SegmentIn(Schema):
    key = String(required=True, validate=KEY)
    description = String(load_default="", validate=Length(max=500))
    when = Dict(required=True)


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
