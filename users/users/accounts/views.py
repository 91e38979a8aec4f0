"""Accounts: register, read, update, delete, list."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus import paging, ratelimits
from polystatus.auth import caller_address, current_identity, require_role
from polystatus.errors import Forbidden
from polystatus.redis_store import get_redis

from . import flows, schemas, service

bp = APIBlueprint("accounts", __name__, tag="Accounts")
hasher = flows.hasher  # auth and links verify and hash with the same one


def load_user(user_id: str) -> dict:
    return flows.existing(get_redis(), user_id)


def may_see(user_id: str) -> None:
    identity = current_identity()
    if identity.sub != user_id and not identity.has_role("admin", "service"):
        raise Forbidden("You can only see your own account.")


@bp.post("/users")
@bp.input(schemas.RegisterIn)
@bp.output(schemas.UserOut, status_code=201)
@bp.doc(summary="Register an account (always role user)", responses={409: "Email taken", 429: "Too many registrations"})
def register(json_data):
    address = caller_address()
    ratelimits.enforce(get_redis(), f"register:{address}", current_app.config["REGISTER_LIMIT_PER_ADDRESS"],
                       3600, what="registrations from this address", now=current_app.config["CLOCK"].now().timestamp())
    return service.public_view(flows.create_account(
        get_redis(), clock=current_app.config["CLOCK"], email=json_data["email"], password=json_data["password"],
        display_name=json_data["display_name"], role="user", lang=json_data["lang"]))


@bp.get("/users")
@bp.input(schemas.PageQuery, location="query")
@bp.output(schemas.UserPageOut)
@bp.doc(summary="List accounts, or search them by email, name and role (admin)")
@require_role("admin")
def list_users(query_data):
    q, role = (query_data.get("q") or "").strip(), query_data.get("role")
    users, total = flows.search(get_redis(), q=q, role=role, window=paging.window(query_data))
    return paging.answer("users", [service.public_view(u) for u in users], query_data, total)


@bp.get("/users/<user_id>")
@bp.output(schemas.UserOut)
@bp.doc(summary="Read an account (its owner, admins, services)")
@require_role("user", "service")
def get_user(user_id):
    may_see(user_id)
    return service.public_view(load_user(user_id))


@bp.patch("/users/<user_id>")
@bp.input(schemas.UserUpdateIn)
@bp.output(schemas.UserOut)
@bp.doc(summary="Update an account; only admins change roles", responses={409: "Email taken or last admin"})
@require_role("user")
def update_user(user_id, json_data):
    identity = current_identity()
    is_admin = identity.has_role("admin")
    if identity.sub != user_id and not is_admin:
        raise Forbidden("You can only change your own account.")
    flows.update(get_redis(), clock=current_app.config["CLOCK"], user=load_user(user_id), changes=json_data,
                 actor_id=identity.sub, actor_is_admin=is_admin, actor_session=identity.claims.get("sid"))
    return service.public_view(load_user(user_id))


@bp.delete("/users/<user_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete an account with its follows and subscriptions", responses={409: "Last admin"})
@require_role("user")
def delete_user(user_id):
    identity = current_identity()
    if identity.sub != user_id and not identity.has_role("admin"):
        raise Forbidden("You can only delete your own account.")
    flows.delete(get_redis(), user=load_user(user_id), by=identity.sub)
    return ""
