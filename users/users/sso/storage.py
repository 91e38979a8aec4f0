"""Sign-ins under way with the identity provider, in Redis.

Keys: ``sso-state:{sha256 of state}`` (hash: nonce, PKCE code verifier, where to land, the
sha256 of the browser's binding cookie), expiring after ten minutes and read once (a state
is used up by its first callback, right or wrong).

``sso-subject:{sha256 of [issuer, sub]}`` (the id of the account this provider's subject signs
in to) and ``sso-link:{user_id}`` (hash: issuer, subject, subject_digest, provider, linked_at):
the link both ways, written together; the account's side says how it signs in and lets its
deletion remove the subject's side.
"""
from __future__ import annotations

import redis


def save_state(r: redis.Redis, state_digest: str, record: dict, *, ttl_s: int) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.hset(f"sso-state:{state_digest}", mapping=record)
    pipe.expire(f"sso-state:{state_digest}", ttl_s)
    pipe.execute()


def take_state(r: redis.Redis, state_digest: str) -> dict | None:
    """The sign-in this state started, removed in the same step (replicas race here: one wins)."""
    pipe = r.pipeline(transaction=True)
    pipe.hgetall(f"sso-state:{state_digest}")
    pipe.delete(f"sso-state:{state_digest}")
    record, _ = pipe.execute()
    return record or None


def linked_account(r: redis.Redis, subject_digest: str) -> str | None:
    return r.get(f"sso-subject:{subject_digest}")


def link_of(r: redis.Redis, user_id: str) -> dict | None:
    return r.hgetall(f"sso-link:{user_id}") or None


def queue_link(pipe, user_id: str, link: dict, *, previous: dict | None = None) -> None:
    """Queue the link of ``link["subject_digest"]`` to the account (replacing its ``previous``
    link, if any, so an old subject no longer reaches it)."""
    if previous and previous.get("subject_digest") != link["subject_digest"]:
        pipe.delete(f"sso-subject:{previous['subject_digest']}")
    pipe.set(f"sso-subject:{link['subject_digest']}", user_id)
    pipe.delete(f"sso-link:{user_id}")
    pipe.hset(f"sso-link:{user_id}", mapping=link)


def queue_unlink(pipe, user_id: str, link: dict) -> None:
    pipe.delete(f"sso-subject:{link['subject_digest']}", f"sso-link:{user_id}")
