from apiflask import Schema
from apiflask.fields import Dict, Float, Integer, List, Nested, Raw, String
from apiflask.validators import Length, OneOf, Range, Regexp

from .service import KINDS

REGION = Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="A region name: lowercase letters, digits, - and _.")
COMPONENT_ID = Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="A PolyStatus component id.")


class CheckIn(Schema):
    name = String(required=True, validate=Length(min=1, max=80))
    kind = String(required=True, validate=OneOf(KINDS))
    url = String(validate=Length(min=8, max=2000))
    host = String(validate=Length(min=1, max=255))
    port = Integer(validate=Range(min=1, max=65535))
    expect = String(validate=Length(max=100), metadata={"description": "dns: an address that must be among the answers"})
    method = String(load_default="GET", validate=OneOf(["GET", "POST", "HEAD", "PUT"]))
    headers = Dict(keys=String(validate=Length(max=100)), values=String(validate=Length(max=2000)), load_default=dict)
    bearer_token = String(validate=Length(max=2000))
    body = String(validate=Length(max=10000))
    timeout = Float(load_default=10, validate=Range(min=0.1, max=60))
    interval = Integer(load_default=60, validate=Range(min=5, max=86400))
    conditions = List(String(validate=Length(max=500)), validate=Length(max=20))
    field = String(validate=Length(max=200), metadata={"description": "freshness: the timestamp field, e.g. computed_time"})
    max_age = Integer(validate=Range(min=1, max=30 * 86400), metadata={"description": "freshness: threshold in seconds"})
    fail_threshold = Integer(load_default=2, validate=Range(min=1, max=100))
    success_threshold = Integer(load_default=1, validate=Range(min=1, max=100))
    quorum = Integer(validate=Range(min=1, max=50))
    component_ids = List(String(validate=COMPONENT_ID), load_default=list, validate=Length(max=50))
    group = String(validate=Length(max=80), metadata={"description": "per-run report group (Bresse)"})
    run_in = List(String(validate=REGION), load_default=list, validate=Length(max=50),
                  metadata={"description": "regions that run this check (`local` is the server's own "
                                           "scheduler, others are agents); empty: every region"})


class Result(Schema):
    ok = Raw()
    reason = String()
    status = Integer(allow_none=True)
    response_time_ms = Float(allow_none=True)
    lag_s = Float(allow_none=True)
    at = String()
    region = String()


class CheckOut(Schema):
    id = String()
    name = String()
    kind = String()
    interval = Integer()
    url = String(allow_none=True)
    host = String(allow_none=True)
    component_ids = List(String())
    state = String()
    last_result = Nested(Result, allow_none=True)
    changed_at = String(allow_none=True)
    regions = Dict()


class CheckListOut(Schema):
    checks = List(Nested(CheckOut))


class ResultsQuery(Schema):
    limit = Integer(load_default=100, validate=Range(min=1, max=1000))


class ResultsOut(Schema):
    results = List(Dict())


class UptimeQuery(Schema):
    days = Integer(load_default=90, validate=Range(min=1, max=90))


class UptimeOut(Schema):
    days = List(Dict())


class ReloadOut(Schema):
    created = Integer()
    updated = Integer()
    checks = Integer()
    heartbeats = Integer()
