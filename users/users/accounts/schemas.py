from apiflask import Schema
from apiflask.fields import List, Nested, String
from apiflask.validators import Length, OneOf
from polystatus import paging
from polystatus.text import EmailAddress, Line, Name, Secret

ROLE = OneOf(["admin", "staff", "user"])
# The languages of the pages and of the mails a person receives (frontend/i18n, comms).
LANGUAGE = OneOf(["en", "fr"])


class RegisterIn(Schema):
    email = EmailAddress(required=True, validate=Length(max=254))
    password = Secret(required=True, validate=Length(min=1, max=1024))
    display_name = Name(load_default="", validate=Length(max=100))
    lang = String(load_default="en", validate=LANGUAGE, metadata={"description": "the language of the mails it receives"})


class UserUpdateIn(Schema):
    display_name = Name(validate=Length(max=100))
    email = EmailAddress(validate=Length(max=254))
    password = Secret(validate=Length(min=1, max=1024))
    current_password = Secret(validate=Length(max=1024))
    role = String(validate=ROLE)
    lang = String(validate=LANGUAGE, metadata={"description": "the language of the mails it receives (en, fr)"})


class UserOut(Schema):
    id = String()
    email = String()
    display_name = String()
    role = String()
    lang = String()
    created_at = String(metadata={"format": "date-time"})
    updated_at = String(metadata={"format": "date-time"})


class PageQuery(paging.PageQuery):
    q = Line(validate=Length(max=254), metadata={"description": "only accounts whose email or name contains this "
                                                                "(any case)"})
    role = String(validate=ROLE, metadata={"description": "only accounts with this role"})


class UserPageOut(paging.Page):
    users = List(Nested(UserOut))
