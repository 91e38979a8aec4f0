from apiflask import Schema
from apiflask.fields import AwareDateTime, Boolean, Dict, Float, Integer, List, Nested, Raw, String
from apiflask.validators import Length, Range
from polystatus.text import Line, Name, Pattern, Text

from ..checks.schemas import REGION

RESULT_ID = Pattern(r"^[A-Za-z0-9_-]{8,64}$", error="8 to 64 letters, digits, - or _.")


class AgentIn(Schema):
    region = String(required=True, validate=REGION, metadata={"description": "e.g. paris-ovh, frankfurt-aws"})
    name = Name(validate=Length(max=80), metadata={"description": "where it runs, for people"})


class AgentOut(Schema):
    id = String()
    region = String()
    name = String(allow_none=True)
    created_at = String()
    last_contact = Dict(allow_none=True, metadata={"description": "at, version, results buffered on the agent"})
    token = String(metadata={"description": "shown once, at creation"})


class AgentListOut(Schema):
    agents = List(Nested(AgentOut))


class AgentRef(Schema):
    id = String()
    region = String()


class AssignmentsOut(Schema):
    agent = Nested(AgentRef)
    allow_private = Raw(metadata={"description": "true, false, or CIDR ranges private targets may be in"})
    refresh_s = Integer(metadata={"description": "how often to ask again"})
    checks = List(Dict())


class ResultIn(Schema):
    id = String(required=True, validate=RESULT_ID, metadata={"description": "unique per result: makes a retry safe"})
    check_id = Line(required=True, validate=Length(min=1, max=64))
    ok = Boolean(required=True)
    reason = Text(load_default="", validate=Length(max=2000))
    status = Integer(allow_none=True, validate=Range(min=0, max=999))
    response_time_ms = Float(allow_none=True, validate=Range(min=0))
    lag_s = Float(allow_none=True)
    row_count = Integer(allow_none=True, validate=Range(min=0))
    packet_loss = Float(allow_none=True, validate=Range(min=0, max=100))
    certificate_expires_at = AwareDateTime(allow_none=True, format="iso",
                                           metadata={"description": "an https check: its certificate's notAfter"})
    domain_expires_at = AwareDateTime(allow_none=True, format="iso",
                                      metadata={"description": "a watched domain: its registration's expiry"})
    at = AwareDateTime(required=True, metadata={"description": "when the check ran, with a time zone"})


class ResultsIn(Schema):
    results = List(Nested(ResultIn), required=True, validate=Length(min=1, max=1000))
    buffered = Integer(load_default=0, validate=Range(min=0), metadata={"description": "results still waiting on the agent"})
    version = Line(validate=Length(max=40))


class ResultsOut(Schema):
    recorded = Integer(metadata={"description": "moved the checks' state"})
    history = Integer(metadata={"description": "kept in the history only (older than the state)"})
    duplicates = Integer(metadata={"description": "already recorded (a retry)"})
    unknown = List(String(), metadata={"description": "check ids that no longer exist or are not assigned"})
    refused = Integer(metadata={"description": "dated in the future beyond the allowed clock skew"})
