from apiflask import Schema
from apiflask.fields import String
from apiflask.validators import Length, OneOf
from polystatus.text import EmailAddress, Line, Pattern

from .service import LANGS, TEMPLATES


class MessageIn(Schema):
    template = String(required=True, validate=OneOf(sorted(TEMPLATES)))
    to = EmailAddress(required=True, validate=Length(max=254))
    lang = String(load_default="en", validate=OneOf(LANGS))
    link = Line(required=True, validate=[Length(max=500), Pattern(r"^https?://.*", error="An http(s) URL.")])


class MessageOut(Schema):
    id = String()
    status = String()
