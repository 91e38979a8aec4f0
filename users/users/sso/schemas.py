from apiflask import Schema
from apiflask.fields import Boolean, String
from apiflask.validators import Length
from marshmallow import EXCLUDE
from polystatus.text import Line, Pattern, Secret


class SsoOut(Schema):
    """Whether the sign-in page offers SSO, and the button's name. Never the client's secret."""

    enabled = Boolean()
    name = String()
    start_url = String()


class SignInMethodsOut(Schema):
    """How the signed-in account signs in (what /account shows)."""

    sso = Boolean(metadata={"description": "linked to a subject of the identity provider"})
    provider = String(allow_none=True, metadata={"description": "the provider's name on the sign-in button"})
    linked_at = String(allow_none=True, metadata={"format": "date-time"})
    password = Boolean(metadata={"description": "whether the account has a password (one made by SSO has none)"})
    sso_only = Boolean(metadata={"description": "its role signs in with SSO only (OIDC_REQUIRED_ROLES)"})


class StartIn(Schema):
    # a path of the public origin to land on once signed in (without one, or with anything
    # else, the sign-in page picks the person's usual page)
    next = Line(load_default="", validate=Length(max=500))


class CallbackIn(Schema):
    """What the provider sends back (OAuth 2.0 section 4.1.2: a code, or an error). Providers
    add their own parameters (Google's ``authuser``, ``hd``, ``prompt``): those are ignored."""

    class Meta:
        unknown = EXCLUDE

    code = Secret(validate=Length(max=4096))
    state = Secret(validate=Length(max=200))
    error = Line(validate=[Length(max=100), Pattern(r"^[A-Za-z0-9_.-]*$")])
    error_description = Line(validate=Length(max=1000))
    iss = Line(validate=Length(max=500))
    session_state = Line(validate=Length(max=500))
