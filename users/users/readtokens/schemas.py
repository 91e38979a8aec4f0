from apiflask import Schema
from apiflask.fields import List, Nested, String
from apiflask.validators import Length
from polystatus.text import Name, Secret


class ReadTokenIn(Schema):
    name = Name(required=True, validate=Length(min=1, max=100), metadata={"description": "what it is for"})


class ReadTokenOut(Schema):
    id = String()
    name = String()
    created_at = String(metadata={"format": "date-time"})
    created_by = String()


class ReadTokenCreated(ReadTokenOut):
    token = String(metadata={"description": "shown once; give it as ?token= on feeds, badges and the API"})


class ReadTokenList(Schema):
    tokens = List(Nested(ReadTokenOut))


class ReadTokenCheck(Schema):
    token = Secret(required=True, validate=Length(max=200))
