from apiflask import Schema
from apiflask.fields import AwareDateTime, Boolean, List, Nested, String
from apiflask.validators import URL, Length, OneOf
from polystatus.text import Line

from .service import SEVERITIES


class BannerIn(Schema):
    message = Line(required=True, validate=Length(min=1, max=500))
    severity = String(load_default="info", validate=OneOf(SEVERITIES))
    link = Line(load_default=None, allow_none=True, validate=[Length(max=500), URL(schemes={"http", "https"})])
    starts_at = AwareDateTime(load_default=None, allow_none=True, format="iso")
    ends_at = AwareDateTime(load_default=None, allow_none=True, format="iso")
    dismissible = Boolean(load_default=True)


class BannerPatch(Schema):
    message = Line(validate=Length(min=1, max=500))
    severity = String(validate=OneOf(SEVERITIES))
    link = Line(allow_none=True, validate=[Length(max=500), URL(schemes={"http", "https"})])
    starts_at = AwareDateTime(allow_none=True, format="iso")
    ends_at = AwareDateTime(allow_none=True, format="iso")
    dismissible = Boolean()


class BannerOut(Schema):
    id = String()
    message = String()
    severity = String()
    link = String(allow_none=True)
    starts_at = String(allow_none=True)
    ends_at = String(allow_none=True)
    dismissible = Boolean()
    created_at = String()
    created_by = String()


class BannerListOut(Schema):
    banners = List(Nested(BannerOut))
