from apiflask import Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp

from .service import SEVERITIES

COMPONENT_ID = Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="A PolyStatus component id.")


class ChannelIn(Schema):
    name = String(required=True, validate=Length(min=1, max=80))
    url = String(required=True, validate=Length(min=6, max=2000),
                 metadata={"description": "An Apprise URL (mailtos://, slack://, msteams://, rocket://, json://, ...) "
                                          "or webhook(s):// for Statuspage-shaped JSON webhooks"})
    events = List(String(validate=Length(max=60)), required=True, validate=Length(min=1, max=20))
    components = List(String(validate=COMPONENT_ID), load_default=list, validate=Length(max=100))
    severities = List(String(validate=OneOf(SEVERITIES)), load_default=list)
    log_only = Boolean(load_default=False)
    enabled = Boolean(load_default=True)
    repeat_minutes = Integer(load_default=None, allow_none=True, validate=Range(min=1, max=1440))


class ChannelPatch(Schema):
    name = String(validate=Length(min=1, max=80))
    url = String(validate=Length(min=6, max=2000))
    events = List(String(validate=Length(max=60)), validate=Length(min=1, max=20))
    components = List(String(validate=COMPONENT_ID), validate=Length(max=100))
    severities = List(String(validate=OneOf(SEVERITIES)))
    log_only = Boolean()
    enabled = Boolean()
    repeat_minutes = Integer(allow_none=True, validate=Range(min=1, max=1440))


class ChannelOut(Schema):
    id = String()
    name = String()
    url = String(metadata={"description": "masked"})
    events = List(String())
    components = List(String())
    severities = List(String())
    log_only = Boolean()
    enabled = Boolean()
    repeat_minutes = Integer(allow_none=True)


class ChannelListOut(Schema):
    channels = List(Nested(ChannelOut))
