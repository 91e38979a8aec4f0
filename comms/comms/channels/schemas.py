from apiflask import Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from polystatus.text import Line, Name, Pattern

from .service import SEVERITIES

COMPONENT_ID = Pattern(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="A PolyStatus component id.")


class ChannelIn(Schema):
    name = Name(required=True, validate=Length(min=1, max=80))
    url = Line(required=True, validate=Length(min=6, max=2000),
               metadata={"description": "An Apprise URL (mailtos://, slack://, msteams://, rocket://, json://, ...), "
                                        "webhook(s):// for Statuspage-shaped JSON webhooks, or sentry+<DSN> "
                                        "(?environment=&org=&token= to resolve issues on recovery) for Sentry"})
    events = List(Line(validate=Length(max=60)), required=True, validate=Length(min=1, max=20))
    components = List(String(validate=COMPONENT_ID), load_default=list, validate=Length(max=100))
    severities = List(String(validate=OneOf(SEVERITIES)), load_default=list)
    log_only = Boolean(load_default=False)
    enabled = Boolean(load_default=True)
    repeat_minutes = Integer(load_default=None, allow_none=True, validate=Range(min=1, max=1440))


class ChannelPatch(Schema):
    name = Name(validate=Length(min=1, max=80))
    url = Line(validate=Length(min=6, max=2000))
    events = List(Line(validate=Length(max=60)), validate=Length(min=1, max=20))
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


class TestOut(Schema):
    ok = Boolean()
    mode = String(metadata={"description": "sent | logged (log-only channel or ONLY_LOG)"})
    error = String(allow_none=True, metadata={"description": "the channel's own reason when ok is false"})
    at = String()


class ReloadOut(Schema):
    channels = Integer(metadata={"description": "channels in the file"})
    created = Integer()
    updated = Integer()
    unchanged = Integer()
