from apiflask import Schema
from apiflask.fields import List, Nested, String
from apiflask.validators import Length
from polystatus.text import Pattern

TARGET = Pattern(r"^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){0,49}$",
                error="Ids are 1-64 letters, digits, '-' or '_', comma-separated (50 at most).")


class FollowsOut(Schema):
    incidents = List(String())


class SubscriptionsOut(Schema):
    components = List(String())


class Person(Schema):
    id = String()
    email = String()
    display_name = String()
    lang = String(metadata={"description": "the language of the mails this person receives"})


class FollowersQuery(Schema):
    incident = String(required=True, validate=[Length(max=64), TARGET])


class SubscribersQuery(Schema):
    component = String(required=True, validate=[Length(max=3300), TARGET])


class FollowersOut(Schema):
    incident = String()
    followers = List(Nested(Person))


class SubscribersOut(Schema):
    components = List(String())
    subscribers = List(Nested(Person))
