from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, String
from apiflask.validators import Length, OneOf
from polystatus.text import Line, Secret

# "cookie": the refresh token is set as an HttpOnly cookie instead of being returned (browsers).
SESSION = OneOf(["body", "cookie"])


class LoginIn(Schema):
    email = Line(required=True, validate=Length(min=3, max=254))
    password = Secret(required=True, validate=Length(min=1, max=1024))
    session = String(load_default="body", validate=SESSION)


class RefreshIn(Schema):
    """Without ``refresh_token``, the session cookie is used (and answered with a new cookie)."""

    refresh_token = Secret(validate=Length(min=10, max=200))


class LogoutIn(Schema):
    refresh_token = Secret(validate=Length(min=10, max=200))


class LogoutOut(Schema):
    """Only for a session that single sign-on started, at a provider that can end its own."""

    logout_url = String(metadata={
        "description": "the identity provider's end-session URL (OpenID Connect RP-Initiated Logout): the browser "
                       "goes there to sign out of the provider too, and comes back to OIDC_POST_LOGOUT_REDIRECT_URL"})


class SignedOutOut(Schema):
    revoked = Integer()


class ClientCredentialsIn(Schema):
    grant_type = String(required=True, validate=OneOf(["client_credentials"]))
    client_id = Line(required=True, validate=Length(min=1, max=100))
    client_secret = Secret(required=True, validate=Length(min=1, max=500))


class TokenOut(Schema):
    access_token = String()
    refresh_token = String()
    token_type = String()
    expires_in = Integer()
    # two-factor sign-in on: no tokens yet, this challenge for POST /auth/login/totp (5 minutes)
    mfa_required = Boolean()
    mfa_token = String()


class ServiceTokenOut(Schema):
    access_token = String()
    token_type = String()
    expires_in = Integer()


class JWKSOut(Schema):
    keys = List(Dict())


class RotateOut(Schema):
    kid = String()
