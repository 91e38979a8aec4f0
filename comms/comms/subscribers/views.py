"""Email-only subscribers: subscribe, confirm by the emailed link; admins list and remove them.
(Unsubscribing is the signed link of every mail: see deliveries' /unsubscribe.)"""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus import paging, ratelimits
from polystatus.auth import caller_address, require_role
from polystatus.errors import NotFound
from polystatus.redis_store import get_redis

from . import flows, schemas, storage

bp = APIBlueprint("subscribers", __name__, tag="Email subscribers")
HOUR = 3600


@bp.post("/subscribers")
@bp.input(schemas.SubscribeIn)
@bp.output(schemas.AcceptedOut, status_code=202)
@bp.doc(summary="Subscribe an email address to the whole page or some components; a confirmation link is mailed",
        responses={429: "Too many requests from this client or to this address"})
def subscribe(json_data):
    config = current_app.config
    now = config["CLOCK"].now()
    address = caller_address()
    r = get_redis()
    ratelimits.enforce(r, f"subscribe:{address}", config["SUBSCRIBE_LIMIT_PER_ADDRESS"], HOUR,
                       what="subscriptions from this address", now=now.timestamp())
    ratelimits.enforce(r, f"subscribe-to:{json_data['email'].strip().lower()}", config["SUBSCRIBE_LIMIT_PER_EMAIL"],
                       HOUR, what="confirmation emails to this address", now=now.timestamp())
    flows.request(r, config, email=json_data["email"], components=json_data["components"], lang=json_data["lang"],
                  now=now)
    return {"message": "Check your mailbox: we sent you a confirmation link."}


@bp.post("/subscribers/confirm")
@bp.input(schemas.ConfirmIn)
@bp.output(schemas.SubscriberOut)
@bp.doc(summary="Confirm a subscription with the emailed token", responses={400: "Unknown, used or expired link"})
def confirm(json_data):
    return flows.confirm(get_redis(), token=json_data["token"], now=current_app.config["CLOCK"].now())


@bp.get("/subscribers")
@bp.input(schemas.SubscriberPageQuery, location="query")
@bp.output(schemas.SubscriberPageOut)
@bp.doc(summary="Email subscribers, newest first (admin)")
@require_role("admin")
def list_subscribers(query_data):
    subscribers, total = storage.page(get_redis(), *paging.window(query_data))
    return paging.answer("subscribers", subscribers, query_data, total)


@bp.delete("/subscribers/<subscriber_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Remove an email subscriber (admin)")
@require_role("admin")
def remove_subscriber(subscriber_id):
    if not flows.unsubscribe(get_redis(), subscriber_id):
        raise NotFound("No such subscriber.")
    return ""
