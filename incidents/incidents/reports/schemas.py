from apiflask import Schema
from apiflask.fields import Boolean, Float, Integer, List, Nested, String
from apiflask.validators import Length

from ..components.schemas import ID, PROBLEM_TYPE


class ReportIn(Schema):
    component_id = String(required=True, validate=[ID, Length(max=64)])
    problem_type = String(required=True, validate=PROBLEM_TYPE)


class ReportAccepted(Schema):
    accepted = Boolean()
    counted = Boolean(metadata={"description": "false when this client already reported it in the last 15 min"})


class Bucket(Schema):
    start = String()
    count = Integer()
    baseline = Float()


class Problem(Schema):
    type = String()
    count = Integer()
    share = Float()


class ReportsOut(Schema):
    component_id = String()
    bucket_seconds = Integer()
    buckets = List(Nested(Bucket))
    baseline = List(Float())
    state = String()
    top_problems = List(Nested(Problem))
    last_15_min = Integer()
