from apiflask import Schema
from apiflask.fields import List, Nested, String
from apiflask.validators import Length, OneOf
from polystatus import paging
from polystatus.text import EmailAddress, Secret

from ..deliveries.schemas import COMPONENT_ID


class SubscribeIn(Schema):
    email = EmailAddress(required=True, validate=Length(max=254))
    components = List(String(validate=COMPONENT_ID), load_default=list, validate=Length(max=50),
                      metadata={"description": "Empty: the whole page."})
    lang = String(load_default="en", validate=OneOf(["en", "fr"]))


class ConfirmIn(Schema):
    token = Secret(required=True, validate=Length(min=20, max=100))


class AcceptedOut(Schema):
    message = String()


class SubscriberOut(Schema):
    id = String()
    email = String()
    lang = String()
    components = List(String())
    status = String()
    created_at = String()
    confirmed_at = String()


class SubscriberPageQuery(paging.PageQuery):
    pass


class SubscriberPageOut(paging.Page):
    subscribers = List(Nested(SubscriberOut))
