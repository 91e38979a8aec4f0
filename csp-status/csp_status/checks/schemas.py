from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, Raw, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import missing
from polystatus.text import Line, Name, Pattern, Secret, Text

from .service import DNS_QUERY_TYPES, KINDS

REGION = Pattern(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="A region name: lowercase letters, digits, - and _.")
COMPONENT_ID = Pattern(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="A PolyStatus component id.")


class CheckIn(Schema):
    """A check. Editing one (PATCH), a field sent as null, or as an empty text, is cleared: back to
    its default where it has one (method GET, timeout 10 s...), else gone (a body, a header...)."""

    name = Name(required=True, validate=Length(min=1, max=80))
    kind = String(required=True, validate=OneOf(KINDS))
    url = Line(allow_none=True, validate=Length(min=8, max=2000))
    host = Line(allow_none=True, validate=Length(min=1, max=255))
    port = Integer(allow_none=True, validate=Range(min=1, max=65535))
    expect = Line(allow_none=True, validate=Length(max=100), metadata={"description": "dns: an address that must be among the answers"})
    server = Line(allow_none=True, validate=Length(min=1, max=300), metadata={
        "description": "dns: the DNS server to ask (host or host:port, as Gatus's url); gives [DNS_RCODE]"})
    query_type = String(allow_none=True, validate=OneOf(DNS_QUERY_TYPES), metadata={"description": "dns with a server: the record type (A)"})
    method = String(allow_none=True, load_default="GET", validate=OneOf(["GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]))
    insecure = Boolean(allow_none=True, metadata={"description": "skip TLS certificate verification (Gatus's client.insecure)"})
    headers = Dict(allow_none=True, keys=Line(validate=Length(max=100)), values=Line(validate=Length(max=2000)), load_default=dict)
    bearer_token = Secret(allow_none=True, validate=Length(max=2000))
    body = Text(allow_none=True, validate=Length(max=10000))
    timeout = Float(allow_none=True, load_default=10, validate=Range(min=0.1, max=60))
    interval = Integer(allow_none=True, load_default=60, validate=Range(min=5, max=86400))
    conditions = List(Line(validate=Length(max=500)), allow_none=True, validate=Length(max=20), metadata={
        "description": "assertions, tcp, dns: Gatus conditions, e.g. [STATUS] == any(200, 201), [BODY].status == UP, "
                       "[RESPONSE_TIME] < 1s, [CERTIFICATE_EXPIRATION] > 48h"})
    field = Line(allow_none=True, validate=Length(max=200), metadata={"description": "freshness: the timestamp field, e.g. computed_time"})
    max_age = Integer(allow_none=True, validate=Range(min=1, max=30 * 86400), metadata={"description": "freshness: threshold in seconds"})
    fail_threshold = Integer(allow_none=True, load_default=2, validate=Range(min=1, max=100))
    success_threshold = Integer(allow_none=True, load_default=1, validate=Range(min=1, max=100))
    quorum = Integer(allow_none=True, validate=Range(min=1, max=50))
    component_ids = List(String(validate=COMPONENT_ID), allow_none=True, load_default=list, validate=Length(max=50))
    group = Name(allow_none=True, validate=Length(max=80), metadata={"description": "per-run report group (Bresse)"})
    dsn = Secret(allow_none=True, validate=Length(min=8, max=2000), metadata={
        "description": "sql: postgresql://, mysql:// (MariaDB too) or mssql://user:password@host:port/database; "
                       "redis: redis:// or rediss://:password@host:6379/0. The password is stored sealed and "
                       "answered masked (****); sending the masked DSN back keeps it"})
    password_env = Line(allow_none=True, validate=Length(max=80), metadata={
        "description": "sql, redis: take the password from CHECK_SECRET_<NAME> (or the file CHECK_SECRET_<NAME>_FILE "
                       "names) on the machine running the check, instead of the DSN"})
    query = Text(allow_none=True, validate=Length(min=1, max=10000), metadata={
        "description": "sql: one read-only statement, run in a read-only transaction that is rolled back"})
    command = Line(allow_none=True, validate=Length(min=1, max=500), metadata={
        "description": "redis: one read-only command (PING by default), e.g. GET app:status"})
    packets = Integer(allow_none=True, validate=Range(min=1, max=20), metadata={"description": "icmp: echo requests sent per run (3)"})
    expiry_warning_days = List(Integer(validate=Range(min=1, max=365)), allow_none=True, validate=Length(max=10), metadata={
        "description": "warn (check.expiry_warning, once per threshold) this many days before an https check's "
                       "certificate or a watched domain expires; default [14, 7, 1], [] turns it off"})
    watch_domain = Boolean(allow_none=True, metadata={"description": "also warn before the domain's registration expires (RDAP)"})
    run_in = List(String(validate=REGION), allow_none=True, load_default=list, validate=Length(max=50),
                  metadata={"description": "regions that run this check (`local` is the server's own "
                                           "scheduler, others are agents); empty: every region"})


def defaults() -> dict:
    """What a check's settings are when not given: a cleared field goes back to these."""
    found = {}
    for name, field in CheckIn().fields.items():
        if field.load_default is not missing:
            found[name] = field.load_default() if callable(field.load_default) else field.load_default
    return found


class Result(Schema):
    ok = Raw()
    reason = String()
    status = Integer(allow_none=True)
    response_time_ms = Float(allow_none=True)
    lag_s = Float(allow_none=True)
    at = String()
    region = String()
    row_count = Integer(allow_none=True, metadata={"description": "sql: rows returned"})
    packet_loss = Float(allow_none=True, metadata={"description": "icmp: percent of echo requests unanswered"})
    certificate_expires_at = String(allow_none=True)
    domain_expires_at = String(allow_none=True)
    conditions = List(Dict(), metadata={"description": "assertions: each condition's verdict {condition, ok, reason}"})


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


class CheckConfigOut(CheckIn):
    """Every setting of a check, for the admin's edit form; secrets are only said to be set."""

    id = String()
    bearer_token = None
    headers = List(String(), metadata={"description": "the names of the headers sent (values are secrets)"})
    has_bearer_token = Raw()


class GatusImportIn(Schema):
    config = Text(required=True, validate=Length(min=1, max=1_000_000),
                  metadata={"description": "the text of a Gatus config.yaml, unchanged"})
    dry_run = Boolean(load_default=False, metadata={"description": "report what would change, change nothing"})


class Skipped(Schema):
    section = String()
    name = String()
    reason = String()


class GatusImportOut(Schema):
    dry_run = Boolean()
    created = List(String())
    updated = List(String())
    unchanged = List(String())
    skipped = List(Nested(Skipped))
    to_create_in_comms = List(Dict(), metadata={"description": "alerting providers as comms channels "
                                                               "(Apprise URL, secrets masked)"})
    warnings = List(String())
