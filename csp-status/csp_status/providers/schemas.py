from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, Raw, String
from apiflask.validators import Length, OneOf, Range
from polystatus.text import Line, Name, Pattern

from .adapters import FORMATS

COMPONENT_ID = Pattern(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="A PolyStatus component id.")


class ProviderIn(Schema):
    name = Name(validate=Length(min=1, max=120))
    url = Line(validate=Length(min=8, max=2000))
    format = String(validate=OneOf(FORMATS))
    catalog_id = Line(validate=Length(max=40))
    interval = Integer(load_default=300, validate=Range(min=30, max=86400))
    enabled = Boolean(load_default=True)


class ProviderPatch(Schema):
    name = Name(validate=Length(min=1, max=120))
    url = Line(validate=Length(min=8, max=2000))
    format = String(validate=OneOf(FORMATS))
    interval = Integer(validate=Range(min=30, max=86400))
    enabled = Boolean()


class MappingsIn(Schema):
    provider = List(String(validate=COMPONENT_ID), load_default=list, validate=Length(max=50))
    components = Dict(keys=Name(validate=Length(max=200)), values=List(String(validate=COMPONENT_ID)),
                      load_default=dict)


class ComponentState(Schema):
    name = String()
    state = String()
    group = String(allow_none=True)


class ProviderOut(Schema):
    id = String()
    name = String()
    url = String()
    format = String()
    enabled = Boolean()
    interval = Integer()
    catalog_id = String(allow_none=True)
    mappings = Dict()
    state = String()
    description = String()
    components = List(Nested(ComponentState))
    incidents = List(Dict())
    last_polled_at = String(allow_none=True)
    last_ok_at = String(allow_none=True)
    error = String(allow_none=True)


class ProviderListOut(Schema):
    providers = List(Nested(ProviderOut))


class CatalogEntry(Schema):
    id = String()
    name = String()
    url = String()
    format = String()
    min_interval = Integer()


class HistoryQuery(Schema):
    limit = Integer(load_default=100, validate=Range(min=1, max=1000))


class HistoryEntry(Schema):
    at = String()
    component = String(allow_none=True)
    previous_state = String(allow_none=True)
    state = String()


class HistoryOut(Schema):
    history = List(Nested(HistoryEntry))


__all__ = ["Raw"]
