from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String
from apiflask.validators import Length, Range
from polystatus import paging
from polystatus.text import EmailAddress, Line, Name, Pattern, Text

COMPONENT_ID = Pattern(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="A PolyStatus component id.")


class DeliveryOut(Schema):
    id = String()
    event_id = String()
    event_type = String()
    kind = String()
    target = String()
    channel_name = String()
    subject = String()
    status = String()
    attempts = Integer()
    last_error = String(allow_none=True)
    discarded_by = String(allow_none=True)
    created_at = String()
    updated_at = String()


class DeliveryListOut(Schema):
    deliveries = List(Nested(DeliveryOut))


class DeadLetterQuery(paging.PageQuery):
    per_page = Integer(load_default=20, validate=Range(min=1, max=200))


class DeadLetterPageOut(paging.Page):
    deliveries = List(Nested(DeliveryOut))


class PageQuery(Schema):
    limit = Integer(load_default=100, validate=Range(min=1, max=1000))


class AlertOut(Schema):
    id = String()
    key = String()
    event_type = String()
    created_at = String()
    repeats = Integer()
    acked_at = String(allow_none=True)
    acked_by = String(allow_none=True)
    resolved_at = String(allow_none=True)


class AlertListOut(Schema):
    alerts = List(Nested(AlertOut))


class AckQuery(Schema):
    s = Line(required=True, validate=Length(max=64))


class UnsubscribeQuery(Schema):
    u = Line(required=True, validate=Length(max=64))
    k = Line(required=True, validate=Length(max=20))
    t = Line(required=True, validate=Length(max=64))
    s = Line(required=True, validate=Length(max=64))


class UnsubscribedOut(Schema):
    kind = String()
    target = String()


class AnnouncementIn(Schema):
    subject = Name(required=True, validate=Length(min=1, max=200))
    message = Text(required=True, validate=Length(min=1, max=10000))
    components = List(String(validate=COMPONENT_ID), load_default=list, validate=Length(max=50))


class AnnouncementOut(Schema):
    id = String()
    planned = Integer()


class RunResult(Schema):
    name = Name(required=True, validate=Length(min=1, max=80))
    ok = Boolean(required=True)


class RunReportIn(Schema):
    group = Name(load_default="", validate=Length(max=80))
    to = EmailAddress(validate=Length(max=254))
    results = List(Nested(RunResult), required=True, validate=Length(max=1000))


class RunReportOut(Schema):
    to = String()
    subject = String()
    text = String()
    sent = Boolean()


class MailOut(Schema):
    id = String()
    to = String()
    subject = String()
    text = String()
    sender = String(data_key="from")


class MailListOut(Schema):
    messages = List(Nested(MailOut))


__all__ = ["Dict"]
