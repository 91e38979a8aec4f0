from apiflask import Schema
from apiflask.fields import Dict, Integer, List, String
from apiflask.validators import Length, OneOf


class LoginIn(Schema):
    email = String(required=True, validate=Length(min=3, max=254))
    password = String(required=True, validate=Length(min=1, max=1024))


class RefreshIn(Schema):
    refresh_token = String(required=True, validate=Length(min=10, max=200))


class ClientCredentialsIn(Schema):
    grant_type = String(required=True, validate=OneOf(["client_credentials"]))
    client_id = String(required=True, validate=Length(min=1, max=100))
    client_secret = String(required=True, validate=Length(min=1, max=500))


class TokenOut(Schema):
    access_token = String()
    refresh_token = String()
    token_type = String()
    expires_in = Integer()


class ServiceTokenOut(Schema):
    access_token = String()
    token_type = String()
    expires_in = Integer()


class JWKSOut(Schema):
    keys = List(Dict())


class RotateOut(Schema):
    kid = String()
