from apiflask import Schema
from apiflask.fields import Boolean, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from polystatus.auth import SCOPES
from polystatus.text import Name, Secret

from .service import KINDS


class ApiKeyIn(Schema):
    name = Name(required=True, validate=Length(min=1, max=100))
    scopes = List(String(validate=OneOf(SCOPES)), required=True, validate=Length(min=1, max=len(SCOPES)))
    # None: the key lasts until revoked.
    expires_in_days = Integer(load_default=None, allow_none=True, validate=Range(min=1, max=3650))
    kind = String(load_default="personal", validate=OneOf(KINDS))
    # service keys only (admins): the role the key acts with.
    role = String(load_default=None, allow_none=True, validate=OneOf(["user", "staff", "admin"]))


class ApiKeyOut(Schema):
    id = String()
    kind = String()
    name = String()
    prefix = String()
    scopes = List(String())
    role = String(allow_none=True)
    owner_id = String(allow_none=True)
    owner_email = String(allow_none=True)
    created_by = String()
    created_at = String(metadata={"format": "date-time"})
    expires_at = String(allow_none=True, metadata={"format": "date-time"})
    last_used_at = String(allow_none=True, metadata={"format": "date-time"})


class ApiKeyCreatedOut(ApiKeyOut):
    secret = String(metadata={"description": "the key itself: shown in this answer only, never again"})


class ApiKeyListOut(Schema):
    keys = List(Nested(ApiKeyOut))


class IntrospectIn(Schema):
    key = Secret(required=True, validate=Length(min=1, max=200))


class IntrospectOut(Schema):
    active = Boolean()
    reason = String()
    key_id = String()
    kind = String()
    sub = String()
    role = String()
    email = String(allow_none=True)
    scopes = List(String())
    expires_in = Float(allow_none=True)
