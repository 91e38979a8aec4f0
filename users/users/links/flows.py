"""Sign-up with email verification, and resetting a forgotten password (no Flask).

Neither answer tells whether an account exists: both always say "check your mail", and the
mail is what differs (a confirmation link, or "you already have an account"; a reset link, or
"there is no account with this address"). Every request thus sends exactly one mail, so the
time to answer does not tell either.
"""
from __future__ import annotations

import redis
from argon2 import PasswordHasher
from polystatus.clock import isoformat
from polystatus.errors import Conflict

from ..accounts import flows as accounts_flows
from ..accounts import service as accounts_service
from ..accounts import storage as accounts_storage
from ..auth import flows as auth_flows
from ..auth import storage as auth_storage
from . import service, storage


def request_signup(r: redis.Redis, config: dict, mailer, hasher: PasswordHasher, *, email: str, password: str,
                   display_name: str, lang: str, now) -> None:
    email = accounts_service.normalise_email(email)
    accounts_service.check_password(password, email=email)
    public = config["PUBLIC_URL"]
    if accounts_storage.id_for_email(r, email):
        mailer.send("account_exists", to=email, lang=lang, link=f"{public}/reset")
        return
    token = service.new_token()
    # The password is hashed now: the pending sign-up never holds it in clear.
    storage.save(r, "signup", token, {"email": email, "display_name": display_name, "lang": lang,
                                      "password_hash": hasher.hash(password),
                                      "expires_at": service.expires(now.timestamp(), config["SIGNUP_TOKEN_TTL"])},
                 ttl_s=config["SIGNUP_TOKEN_TTL"])
    mailer.send("confirm_signup", to=email, lang=lang, link=service.link(public, "signup/confirm", token))


def confirm_signup(r: redis.Redis, config: dict, ring, *, token: str, now) -> tuple[dict, dict]:
    """Create the account from its confirmed sign-up and sign it in: (account, tokens)."""
    record = service.check_fresh(storage.consume(r, "signup", token), now_ts=now.timestamp())
    user = accounts_service.new_account(
        user_id=accounts_service.new_user_id(now.timestamp()), email=record["email"],
        display_name=record["display_name"], role="user", password_hash=record["password_hash"], at=isoformat(now),
        lang=record.get("lang") or "en")  # the language the person signed up in: their mails' language
    if not accounts_flows.store_new(r, user, created_ts=now.timestamp()):
        raise Conflict("This address already has an account: sign in.", code="email_taken")
    return user, auth_flows.issue(r, config, ring, user, now=now.timestamp())


def request_reset(r: redis.Redis, config: dict, mailer, *, email: str, lang: str, now) -> None:
    email = accounts_service.normalise_email(email)
    public = config["PUBLIC_URL"]
    user_id = accounts_storage.id_for_email(r, email)
    if not user_id:
        mailer.send("reset_no_account", to=email, lang=lang, link=f"{public}/signup")
        return
    token = service.new_token()
    storage.save(r, "reset", token, {"user_id": user_id,
                                     "expires_at": service.expires(now.timestamp(), config["RESET_TOKEN_TTL"])},
                 ttl_s=config["RESET_TOKEN_TTL"])
    mailer.send("reset_password", to=email, lang=lang, link=service.link(public, "reset", token))


def confirm_reset(r: redis.Redis, config: dict, ring, hasher: PasswordHasher, *, token: str, password: str,
                  now) -> tuple[dict, dict]:
    """Set the new password, end every session of the account, and sign this one in."""
    record = service.check_fresh(storage.peek(r, "reset", token), now_ts=now.timestamp())
    user = accounts_storage.get(r, record["user_id"])
    if user is None:
        raise service.LinkInvalid("This link is not valid or was already used.")
    # A too-weak password is refused before the link is used up: the person tries again.
    accounts_service.check_password(password, email=user["email"])
    if storage.consume(r, "reset", token) is None:
        raise service.LinkInvalid("This link is not valid or was already used.")
    accounts_flows.save_changes(r, user["id"], {"password_hash": hasher.hash(password), "updated_at": isoformat(now)},
                                event=("user.password_reset", {"user_id": user["id"]}))
    auth_storage.revoke_user(r, user["id"])
    return user, auth_flows.issue(r, config, ring, user, now=now.timestamp())
