"""Accounts: register, read, update, delete, list."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime

from apiflask import APIBlueprint
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from flask import current_app, request
from polystatus import ratelimits
from polystatus.auth import current_identity, require_role
from polystatus.clock import isoformat
from polystatus.errors import Conflict, Forbidden, NotFound, Unauthorized
from polystatus.redis_store import get_redis

from . import schemas, service, storage

bp = APIBlueprint("accounts", __name__, tag="Accounts")
hasher = PasswordHasher()  # argon2id with argon2-cffi's current recommended parameters


def now_iso() -> str:
    return isoformat(current_app.config["CLOCK"].now())


def new_user_id() -> str:
    # Sortable by creation (time prefix) and unguessable (random suffix).
    return f"{int(datetime.now(UTC).timestamp() * 1000):x}{secrets.token_hex(5)}"


def create_account(email: str, password: str, display_name: str, role: str) -> dict:
    email = service.normalise_email(email)
    service.check_password(password, email=email)
    moment = current_app.config["CLOCK"].now()
    user = {"id": new_user_id(), "email": email, "display_name": display_name or email.split("@")[0],
            "role": role, "password_hash": hasher.hash(password), "created_at": isoformat(moment),
            "updated_at": isoformat(moment)}
    if not storage.create(get_redis(), user, created_ts=moment.timestamp()):
        raise Conflict("An account with this email already exists.", code="email_taken")
    return user


def load_user(user_id: str) -> dict:
    user = storage.get(get_redis(), user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def may_see(user_id: str) -> None:
    identity = current_identity()
    if identity.sub != user_id and not identity.has_role("admin", "service"):
        raise Forbidden("You can only see your own account.")


@bp.post("/users")
@bp.input(schemas.RegisterIn)
@bp.output(schemas.UserOut, status_code=201)
@bp.doc(summary="Register an account (always role user)", responses={409: "Email taken", 429: "Too many registrations"})
def register(json_data):
    address = ratelimits.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                        current_app.config["TRUSTED_PROXIES"])
    ratelimits.enforce(get_redis(), f"register:{address}", current_app.config["REGISTER_LIMIT_PER_ADDRESS"],
                       3600, what="registrations from this address", now=current_app.config["CLOCK"].now().timestamp())
    return service.public_view(create_account(json_data["email"], json_data["password"],
                                              json_data["display_name"], "user"))


@bp.get("/users")
@bp.input(schemas.PageQuery, location="query")
@bp.output(schemas.UserPageOut)
@bp.doc(summary="List accounts (admin)")
@require_role("admin")
def list_users(query_data):
    page, per_page = query_data["page"], query_data["per_page"]
    users, total = storage.page(get_redis(), (page - 1) * per_page, per_page)
    return {"users": [service.public_view(u) for u in users], "page": page, "per_page": per_page, "total": total}


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
    r = get_redis()
    user = load_user(user_id)
    changes = {}
    event = None
    if "role" in json_data and json_data["role"] != user["role"]:
        if not is_admin:
            raise Forbidden("Only admins change roles.")
        service.check_role_change(actor_id=identity.sub, target_id=user_id, old_role=user["role"],
                                  new_role=json_data["role"], admin_count=storage.admin_count(r))
        changes["role"] = json_data["role"]
        event = ("user.role_changed", {"user_id": user_id, "email": user["email"], "old_role": user["role"],
                                       "new_role": json_data["role"], "by": identity.sub})
    if "password" in json_data:
        if not is_admin or identity.sub == user_id:
            try:
                hasher.verify(user["password_hash"], json_data.get("current_password", ""))
            except VerifyMismatchError:
                raise Unauthorized("The current password is wrong.", code="wrong_password") from None
        service.check_password(json_data["password"], email=user["email"])
        changes["password_hash"] = hasher.hash(json_data["password"])
    if "display_name" in json_data:
        changes["display_name"] = json_data["display_name"]
    if "email" in json_data and service.normalise_email(json_data["email"]) != user["email"]:
        new_email = service.normalise_email(json_data["email"])
        if storage.id_for_email(r, new_email):
            raise Conflict("An account with this email already exists.", code="email_taken")
        r.set(f"user-email:{new_email}", user_id)
        r.delete(f"user-email:{user['email']}")
        changes["email"] = new_email
    if changes:
        changes["updated_at"] = now_iso()
        storage.update(r, user_id, changes, event=event)
    return service.public_view(load_user(user_id))


@bp.delete("/users/<user_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete an account with its follows and subscriptions", responses={409: "Last admin"})
@require_role("user")
def delete_user(user_id):
    identity = current_identity()
    if identity.sub != user_id and not identity.has_role("admin"):
        raise Forbidden("You can only delete your own account.")
    r = get_redis()
    user = load_user(user_id)
    service.check_deletion(role=user["role"], admin_count=storage.admin_count(r))
    storage.delete(r, user)
    return ""
