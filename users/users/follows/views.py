"""Following incidents and subscribing to components (the PolyStatus seed's username -> [INC-…])."""
from __future__ import annotations

import re

from apiflask import APIBlueprint
from polystatus.auth import current_identity, require_role
from polystatus.errors import BadRequest
from polystatus.redis_store import get_redis

from ..accounts import flows as accounts_flows
from ..accounts import storage as accounts_storage
from . import schemas, storage

bp = APIBlueprint("follows", __name__, tag="Follows and subscriptions")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def valid_id(value: str) -> str:
    if not _ID.fullmatch(value):  # match() would let a final line break through ($)
        raise BadRequest("Ids are 1-64 letters, digits, '-' or '_'.", code="invalid_id")
    return value


def me() -> str:
    return current_identity().sub


@bp.get("/users/me/follows")
@bp.output(schemas.FollowsOut)
@bp.doc(summary="Incidents I follow")
@require_role("user")
def my_follows():
    return {"incidents": storage.of_user(get_redis(), "follows", me())}


@bp.put("/users/me/follows/<incident_id>")
@bp.output(schemas.FollowsOut)
@bp.doc(summary="Follow an incident", responses={400: "Malformed id"})
@require_role("user")
def follow(incident_id):
    storage.add(get_redis(), "follows", me(), valid_id(incident_id))
    return {"incidents": storage.of_user(get_redis(), "follows", me())}


@bp.delete("/users/me/follows/<incident_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Stop following an incident", responses={400: "Malformed id"})
@require_role("user")
def unfollow(incident_id):
    storage.remove(get_redis(), "follows", me(), valid_id(incident_id))
    return ""


@bp.get("/users/me/subscriptions")
@bp.output(schemas.SubscriptionsOut)
@bp.doc(summary="Components I am subscribed to")
@require_role("user")
def my_subscriptions():
    return {"components": storage.of_user(get_redis(), "subscriptions", me())}


@bp.put("/users/me/subscriptions/<component_id>")
@bp.output(schemas.SubscriptionsOut)
@bp.doc(summary="Subscribe to a component (notified of any incident touching it)", responses={400: "Malformed id"})
@require_role("user")
def subscribe(component_id):
    storage.add(get_redis(), "subscriptions", me(), valid_id(component_id))
    return {"components": storage.of_user(get_redis(), "subscriptions", me())}


@bp.delete("/users/me/subscriptions/<component_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Unsubscribe from a component", responses={400: "Malformed id"})
@require_role("user")
def unsubscribe(component_id):
    storage.remove(get_redis(), "subscriptions", me(), valid_id(component_id))
    return ""


@bp.delete("/users/<user_id>/follows/<incident_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Remove someone's follow (admins; services honouring an unsubscribe link)", responses={400: "Malformed id"})
@require_role("admin", "service")
def remove_follow(user_id, incident_id):
    accounts_flows.existing(get_redis(), user_id)
    storage.remove(get_redis(), "follows", user_id, valid_id(incident_id))
    return ""


@bp.delete("/users/<user_id>/subscriptions/<component_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Remove someone's subscription (admins; services honouring an unsubscribe link)", responses={400: "Malformed id"})
@require_role("admin", "service")
def remove_subscription(user_id, component_id):
    accounts_flows.existing(get_redis(), user_id)
    storage.remove(get_redis(), "subscriptions", user_id, valid_id(component_id))
    return ""


@bp.get("/followers")
@bp.input(schemas.FollowersQuery, location="query")
@bp.output(schemas.FollowersOut)
@bp.doc(summary="People following an incident, with their emails (admins and services only)")
@require_role("admin", "service")
def followers(query_data):
    incident = query_data["incident"]
    r = get_redis()
    return {"incident": incident, "followers": accounts_storage.contacts(r, storage.people(r, "follows", [incident]))}


@bp.get("/subscribers")
@bp.input(schemas.SubscribersQuery, location="query")
@bp.output(schemas.SubscribersOut)
@bp.doc(summary="People subscribed to any of the components (comma-separated), with emails (admins and services)")
@require_role("admin", "service")
def subscribers(query_data):
    components = query_data["component"].split(",")
    r = get_redis()
    return {"components": components,
            "subscribers": accounts_storage.contacts(r, storage.people(r, "subscriptions", components))}
