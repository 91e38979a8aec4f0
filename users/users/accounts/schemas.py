from apiflask import Schema
from apiflask.fields import Email, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

ROLE = OneOf(["admin", "staff", "user"])


class RegisterIn(Schema):
    email = Email(required=True, validate=Length(max=254))
    password = String(required=True, validate=Length(min=1, max=1024))
    display_name = String(load_default="", validate=Length(max=100))


class UserUpdateIn(Schema):
    display_name = String(validate=Length(max=100))
    email = Email(validate=Length(max=254))
    password = String(validate=Length(min=1, max=1024))
    current_password = String(validate=Length(max=1024))
    role = String(validate=ROLE)


class UserOut(Schema):
    id = String()
    email = String()
    display_name = String()
    role = String()
    created_at = String(metadata={"format": "date-time"})
    updated_at = String(metadata={"format": "date-time"})


class PageQuery(Schema):
    page = Integer(load_default=1, validate=Range(min=1, max=100000))
    per_page = Integer(load_default=50, validate=Range(min=1, max=200))


class UserPageOut(Schema):
    users = List(Nested(UserOut))
    page = Integer()
    per_page = Integer()
    total = Integer()
