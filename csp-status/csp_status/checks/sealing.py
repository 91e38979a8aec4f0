"""DSN passwords at rest: sealed (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a
key from the environment, ``CHECK_SECRETS_KEY``, never stored in clear in Redis.

A stored sql or redis check keeps its DSN masked (``postgresql://app:****@db:5432/shop``) and the
password apart, sealed (``dsn_password``). Whoever runs the check gets it back whole: the server's
engine, and an agent through its assignments (agents are trusted with a check's secrets, as with
its bearer token). ``CHECK_SECRETS_KEY`` may list several keys, comma-separated: the first seals,
any opens (rotate by putting a new key first, then re-saving the checks).

Without a key, a DSN with a password is refused with what to do instead: set the key, or name
the password with ``password_env``.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from polystatus.errors import Invalid

from . import kinds

FIELD = "dsn_password"


def _fernet(key: str) -> Fernet:
    """Any passphrase works: a Fernet key is derived from it (a generated Fernet key works too)."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def box(keys: list[str] | None) -> MultiFernet | None:
    return MultiFernet([_fernet(k) for k in keys]) if keys else None


def seal(check: dict, *, keys: list[str] | None, existing: dict | None = None) -> dict:
    """The check as stored: a DSN's password moved out of it, sealed. A DSN written with the
    password masked (``****``, as the API showed it) keeps the stored password; the same password
    again keeps the same sealed text, so re-declaring a check changes nothing."""
    if not check.get("dsn"):
        return {k: v for k, v in check.items() if k != FIELD}
    dsn = kinds.parse_dsn(check["dsn"])
    stored = {**check, "dsn": kinds.mask(check["dsn"])}
    if dsn.password is None:
        stored.pop(FIELD, None)
        return stored
    if dsn.password == kinds.MASK:
        kept = (existing or {}).get(FIELD)
        if not kept:
            raise Invalid("The DSN's password is masked (****) but no password is stored for this check: write it.",
                          details={"dsn": ["Masked password, nothing stored."]})
        before = kinds.parse_dsn(existing["dsn"])
        if (before.family, before.host, before.port, before.user) != (dsn.family, dsn.host, dsn.port, dsn.user):
            # a kept password goes only where it went before: never to a host someone just wrote
            raise Invalid("The DSN now names another server or user: write its password again.",
                          details={"dsn": ["Masked password for another server or user."]})
        return {**stored, FIELD: kept}
    sealer = box(keys)
    if sealer is None:
        raise Invalid("A password in a DSN is stored sealed, and CHECK_SECRETS_KEY is not set: set it on the "
                      "server, or name the password with password_env (CHECK_SECRET_<NAME>).",
                      details={"dsn": ["A password needs CHECK_SECRETS_KEY, or use password_env."]})
    kept = (existing or {}).get(FIELD)
    if kept and _open(sealer, kept) == dsn.password:
        return {**stored, FIELD: kept}
    return {**stored, FIELD: sealer.encrypt(dsn.password.encode()).decode()}


def _open(sealer: MultiFernet, token: str) -> str | None:
    try:
        return sealer.decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def runnable(check: dict, *, keys: list[str] | None) -> dict:
    """The check as its runner needs it: the DSN whole again. A password that cannot be opened
    (the key changed) leaves the DSN without one: the database refuses the login, and the
    check's reason says so."""
    sealed = check.get(FIELD)
    if not sealed:
        return check
    ready = {k: v for k, v in check.items() if k != FIELD}
    sealer = box(keys)
    password = _open(sealer, sealed) if sealer else None
    ready["dsn"] = kinds.with_password(check["dsn"], password)
    if password is None:
        ready["dsn_error"] = "the stored password cannot be opened with CHECK_SECRETS_KEY (was the key changed?)"
    return ready
