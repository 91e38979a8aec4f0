from apiflask import Schema
from apiflask.fields import Nested, String
from apiflask.validators import Length, OneOf
from polystatus.text import EmailAddress, Name, Secret

from ..accounts.schemas import UserOut
from ..auth.schemas import SESSION, TokenOut

LANG = OneOf(["en", "fr"])


class SignupIn(Schema):
    email = EmailAddress(required=True, validate=Length(max=254))
    password = Secret(required=True, validate=Length(min=1, max=1024))
    display_name = Name(load_default="", validate=Length(max=100))
    lang = String(load_default="en", validate=LANG)


class ResetIn(Schema):
    email = EmailAddress(required=True, validate=Length(max=254))
    lang = String(load_default="en", validate=LANG)


class TokenIn(Schema):
    token = Secret(required=True, validate=Length(min=20, max=100))
    session = String(load_default="body", validate=SESSION)


class ResetConfirmIn(TokenIn):
    password = Secret(required=True, validate=Length(min=1, max=1024))


class AcceptedOut(Schema):
    message = String()


class SignedInOut(TokenOut):
    user = Nested(UserOut)
