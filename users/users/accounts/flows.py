"""Account use cases, one function each, for the API and for the command line (users.admin,
users.demo) alike: no Flask here, the caller passes its Redis and its clock."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from polystatus import audit, events
from polystatus.clock import isoformat
from polystatus.errors import Conflict, Forbidden, NotFound, Unauthorized
from polystatus.redis_store import atomic

from .. import settings
from ..apikeys import flows as apikeys_flows
from ..auth import storage as auth_storage
from ..follows import storage as follows_storage
from ..passkeys import storage as passkeys_storage
from ..sso import storage as sso_storage
from . import service, storage

SERVICE = "users"

# argon2id, with argon2-cffi's recommended parameters unless PASSWORD_HASH_PROFILE says otherwise
hasher = PasswordHasher.from_parameters(getattr(profiles, settings.password_hash_profile()))


def existing(r: redis.Redis, user_id: str) -> dict:
    """The account ``user_id``, or the 404 every route about someone's account answers."""
    user = storage.get(r, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def signed_in(r: redis.Redis, user_id: str) -> dict:
    """The signed-in caller's own account, or the 401 that ends a session whose account was
    deleted while its token still runs (a 404 would read as a missing page, not a sign-out)."""
    user = storage.get(r, user_id)
    if user is None:
        raise Unauthorized("The account no longer exists.", code="token_invalid")
    return user


def store_new(r: redis.Redis, user: dict, *, created_ts: float, also: Callable[[Any], None] | None = None) -> bool:
    """Store a new account with its ``user.created`` event, in one transaction; False when the
    email is taken (then nothing is stored or said). Sign-up links call it too; ``also(pipe)``
    queues the caller's own writes in the same transaction (an SSO sign-in's link)."""
    created = {"user_id": user["id"], "email": user["email"], "role": user["role"]}

    def queue(pipe) -> None:
        events.publish(pipe, SERVICE, "user.created", created)
        if also:
            also(pipe)

    return storage.create(r, user, created_ts=created_ts, also=queue)


def save_changes(r: redis.Redis, user_id: str, changes: dict, *, event: tuple[str, dict] | None = None,
                 old_email: str | None = None, also: Callable[[Any], None] | None = None) -> None:
    """Store changed fields of an account and the event that says so (if any), in one
    transaction, with what ``also(pipe)`` queues."""
    with atomic(r, durable=True) as pipe:
        storage.queue_update(pipe, user_id, changes, old_email=old_email)
        if event:
            events.publish(pipe, SERVICE, *event)
        if also:
            also(pipe)


def create_account(r: redis.Redis, *, clock, email: str, password: str, display_name: str, role: str,
                   lang: str = "en") -> dict:
    email = service.normalise_email(email)
    service.check_password(password, email=email)
    moment = clock.now()
    user = service.new_account(user_id=service.new_user_id(datetime.now(UTC).timestamp()), email=email,
                               display_name=display_name, role=role, password_hash=hasher.hash(password),
                               at=isoformat(moment), lang=lang)
    if not store_new(r, user, created_ts=moment.timestamp()):
        raise Conflict("An account with this email already exists.", code="email_taken")
    return user


def search(r: redis.Redis, *, q: str, role: str | None, window: tuple[int, int]) -> tuple[list[dict], int]:
    """A page of accounts whose email or name contains ``q`` and whose role is ``role``, and how
    many match; every account, paged by storage, when neither is given. (A scan of every
    account: fine for the staff of one organisation, which is who has accounts here.)"""
    offset, limit = window
    if not (q or role):
        return storage.page(r, offset, limit)
    found = [u for u in storage.every(r) if service.matches(u, q=q, role=role)]
    return found[offset:offset + limit], len(found)


def ensure_admin(r: redis.Redis, *, clock, email: str, password: str) -> str:
    """An admin with this email: "created", "promoted" (an existing account, which keeps its
    password) or "exists"."""
    email = service.normalise_email(email)
    user_id = storage.id_for_email(r, email)
    if not user_id:
        create_account(r, clock=clock, email=email, password=password, display_name="Administrator", role="admin")
        return "created"
    if storage.get(r, user_id)["role"] == "admin":
        return "exists"
    save_changes(r, user_id, {"role": "admin"}, event=("user.role_changed", {
        "user_id": user_id, "email": email, "old_role": "?", "new_role": "admin", "by": "cli"}))
    return "promoted"


def update(r: redis.Redis, *, clock, user: dict, changes: dict, actor_id: str, actor_is_admin: bool,
           actor_session: str | None) -> None:
    """Apply a PATCH of ``user`` by the actor (the owner, or an admin): only admins change roles,
    the last admin stays, a new password needs the current one (an admin resetting someone
    else's does not) and ends the account's other sessions."""
    user_id, stored, event = user["id"], {}, None
    if "role" in changes and changes["role"] != user["role"]:
        if not actor_is_admin:
            raise Forbidden("Only admins change roles.")
        service.check_role_change(actor_id=actor_id, target_id=user_id, old_role=user["role"],
                                  new_role=changes["role"], admin_count=storage.admin_count(r))
        stored["role"] = changes["role"]
        event = ("user.role_changed", {"user_id": user_id, "email": user["email"], "old_role": user["role"],
                                       "new_role": changes["role"], "by": actor_id})
    if "password" in changes:
        if not actor_is_admin or actor_id == user_id:
            try:
                hasher.verify(user["password_hash"], changes.get("current_password", ""))
            except (VerifyMismatchError, InvalidHashError):  # an SSO-made account has no password at all
                raise Unauthorized("The current password is wrong.", code="wrong_password") from None
        service.check_password(changes["password"], email=user["email"])
        stored["password_hash"] = hasher.hash(changes["password"])
    if "display_name" in changes:
        stored["display_name"] = changes["display_name"]
    if "lang" in changes:
        stored["lang"] = changes["lang"]
    if "email" in changes and service.normalise_email(changes["email"]) != user["email"]:
        new_email = service.normalise_email(changes["email"])
        if storage.id_for_email(r, new_email):
            raise Conflict("An account with this email already exists.", code="email_taken")
        stored["email"] = new_email
    if stored:
        stored["updated_at"] = isoformat(clock.now())
        # The audit entry's before/after: the fields this edit changes (a password hash redacted).
        audit.describe(before={k: user.get(k) for k in stored if k != "updated_at"},
                       after={k: v for k, v in stored.items() if k != "updated_at"})
        save_changes(r, user_id, stored, event=event, old_email=user["email"])
    if "password_hash" in stored:
        # A new password ends every other session (someone who knew the old one is out); the
        # person changing it stays signed in where they are.
        auth_storage.revoke_user(r, user_id, keep=actor_session if actor_id == user_id else None)


def delete(r: redis.Redis, *, user: dict, by: str) -> None:
    """Delete the account (never the last admin) with its follows, subscriptions, passkeys,
    sessions and API keys."""
    service.check_deletion(role=user["role"], admin_count=storage.admin_count(r))
    link = sso_storage.link_of(r, user["id"])
    with atomic(r, durable=True) as pipe:
        follows_storage.queue_forget(r, pipe, user["id"])
        if link:  # the subject no longer signs in to it: a later SSO sign-in starts afresh
            sso_storage.queue_unlink(pipe, user["id"], link)
        passkeys_storage.queue_remove_all(pipe, r, user["id"])
        storage.queue_delete(pipe, user)
        events.publish(pipe, SERVICE, "user.deleted", {"user_id": user["id"], "email": user["email"]})
    auth_storage.revoke_user(r, user["id"])
    apikeys_flows.revoke_all_of(r, owner_id=user["id"], by=by)
