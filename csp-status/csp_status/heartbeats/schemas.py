from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import ValidationError, validates_schema
from polystatus.text import Line, Name, Pattern, Text

COMPONENT_ID = Pattern(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="A PolyStatus component id.")


class HeartbeatIn(Schema):
    name = Name(required=True, validate=Length(min=1, max=80))
    timeout = Integer(allow_none=True, validate=Range(min=10, max=366 * 86400), metadata={"description": "seconds between pings"})
    schedule = Line(allow_none=True, validate=Length(max=100), metadata={"description": "cron expression (instead of timeout)"})
    tz = Line(load_default="UTC", validate=Length(max=64))
    grace = Integer(load_default=300, validate=Range(min=0, max=30 * 86400))
    component_ids = List(String(validate=COMPONENT_ID), load_default=list, validate=Length(max=50))
    slug = String(validate=Pattern(r"^[a-z0-9_-]*$"), metadata={"description": "for slug pings: /ping/<ping-key>/<slug>"})
    tags = Line(validate=Length(max=500), metadata={"description": "space-separated"})
    desc = Text(validate=Length(max=2000))
    manual_resume = Boolean(metadata={"description": "a paused heartbeat ignores pings until resumed"})
    methods = String(validate=OneOf(["", "POST"]), metadata={"description": '"POST": only POST pings count'})
    project = String(validate=Pattern(r"^[a-z0-9][a-z0-9_-]{0,63}$"), metadata={"description": "default: default"})

    @validates_schema
    def timeout_or_schedule(self, data, **kwargs):
        if not data.get("timeout") and not data.get("schedule"):
            raise ValidationError({field: ["Give either timeout (seconds) or schedule (cron)."]  # both named
                                   for field in ("timeout", "schedule")})


class HeartbeatPatch(Schema):
    name = Name(validate=Length(min=1, max=80))
    timeout = Integer(validate=Range(min=10, max=366 * 86400))
    schedule = Line(validate=Length(max=100), allow_none=True)
    tz = Line(validate=Length(max=64))
    grace = Integer(validate=Range(min=0, max=30 * 86400))
    component_ids = List(String(validate=COMPONENT_ID), validate=Length(max=50))
    paused = Boolean()
    retired = Boolean()
    slug = String(validate=Pattern(r"^[a-z0-9_-]*$"))
    tags = Line(validate=Length(max=500))
    desc = Text(validate=Length(max=2000))
    manual_resume = Boolean()
    methods = String(validate=OneOf(["", "POST"]))


class HeartbeatOut(Schema):
    id = String()
    name = String()
    ping_url = String()
    timeout = Integer(allow_none=True)
    schedule = String(allow_none=True)
    tz = String()
    grace = Integer()
    component_ids = List(String())
    paused = Boolean()
    retired = Boolean()
    state = String()
    last_ping = String(allow_none=True)
    last_duration_s = Float(allow_none=True)
    pings = Integer()
    recent_pings = List(Dict())
    app_id = Integer(allow_none=True)
    slug = String()
    tags = String()
    desc = String()
    manual_resume = Boolean()
    methods = String()
    project = String()
    started = Boolean()
    last_start = String(allow_none=True)


class HeartbeatPublic(Schema):
    id = String()
    name = String()
    state = String()
    last_ping = String(allow_none=True)


class HeartbeatListOut(Schema):
    heartbeats = List(Nested(HeartbeatOut))


class PublicListOut(Schema):
    heartbeats = List(Nested(HeartbeatPublic))


class AppIn(Schema):
    app_id = Integer(required=True, validate=Range(min=0, max=2**53))
    message = Text(load_default="", validate=Length(max=1000))


class AppOut(Schema):
    app_id = Integer()
    heartbeat_id = String()
    state = String()


class PreviewQuery(Schema):
    schedule = String(validate=Length(min=1, max=100), metadata={"description": "cron expression"})
    tz = String(load_default="UTC", validate=Length(max=64))
    timeout = Integer(validate=Range(min=10, max=366 * 86400))
    grace = Integer(load_default=300, validate=Range(min=0, max=30 * 86400))
    count = Integer(load_default=5, validate=Range(min=1, max=20))


class PreviewOut(Schema):
    expected = List(String(), metadata={"description": "when the next pings are expected"})
    down_after = List(String(), metadata={"description": "when the heartbeat goes down if each one is missing"})


class ProjectIn(Schema):
    id = String(required=True, validate=Pattern(r"^[a-z0-9][a-z0-9_-]{0,63}$"))
    name = Name(validate=Length(min=1, max=100))


class ProjectOut(Schema):
    id = String()
    name = String()
    ping_key = String(metadata={"description": "slug pings: /ping/<ping_key>/<slug>"})


class ProjectListOut(Schema):
    projects = List(Nested(ProjectOut))


class ApiKeyIn(Schema):
    name = Name(required=True, validate=Length(min=1, max=100))
    project = String(load_default="default", validate=Pattern(r"^[a-z0-9][a-z0-9_-]{0,63}$"))
    readonly = Boolean(load_default=False)


class ApiKeyOut(Schema):
    id = String()
    name = String()
    project = String()
    readonly = Boolean()
    prefix = String(metadata={"description": "the key's first characters, to tell keys apart"})
    key = String(metadata={"description": "the key itself: shown this once, only its hash is kept"})


class ApiKeyListOut(Schema):
    keys = List(Nested(ApiKeyOut))
