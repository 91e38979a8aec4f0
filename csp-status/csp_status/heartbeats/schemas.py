from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, Range, Regexp

COMPONENT_ID = Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="A PolyStatus component id.")


class HeartbeatIn(Schema):
    name = String(required=True, validate=Length(min=1, max=80))
    timeout = Integer(allow_none=True, validate=Range(min=10, max=366 * 86400), metadata={"description": "seconds between pings"})
    schedule = String(allow_none=True, validate=Length(max=100), metadata={"description": "cron expression (instead of timeout)"})
    tz = String(load_default="UTC", validate=Length(max=64))
    grace = Integer(load_default=300, validate=Range(min=0, max=30 * 86400))
    component_ids = List(String(validate=COMPONENT_ID), load_default=list, validate=Length(max=50))


class HeartbeatPatch(Schema):
    name = String(validate=Length(min=1, max=80))
    timeout = Integer(validate=Range(min=10, max=366 * 86400))
    schedule = String(validate=Length(max=100), allow_none=True)
    tz = String(validate=Length(max=64))
    grace = Integer(validate=Range(min=0, max=30 * 86400))
    component_ids = List(String(validate=COMPONENT_ID), validate=Length(max=50))
    paused = Boolean()
    retired = Boolean()


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
    message = String(load_default="", validate=Length(max=1000))


class AppOut(Schema):
    app_id = Integer()
    heartbeat_id = String()
    state = String()
