"""Account rules: pure functions, no I/O."""
from __future__ import annotations

import secrets

from polystatus.errors import Conflict, Invalid

ROLES = ("admin", "staff", "user")
MIN_PASSWORD_LENGTH = 10

# The most common passwords of public breach corpora that pass the length rule. A short list
# catches the worst choices without shipping a large dictionary; length does the rest.
COMMON_PASSWORDS = {
    "1234567890", "12345678910", "0123456789", "qwertyuiop", "password123", "password1234",
    "iloveyou123", "1q2w3e4r5t", "qwerty12345", "1qaz2wsx3edc", "abcdefghij", "aaaaaaaaaa",
    "passwordpassword", "administrator", "letmein123", "welcome123", "football123", "monkey12345",
    "qwertyuiop123", "princess123", "sunshine123", "changeme123", "polystatus", "polystatus123",
}


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or " " in email or len(email) > 254:
        raise Invalid("That is not an email address.", details={"email": ["Not a valid email address."]})
    return email


def check_password(password: str, *, email: str = "") -> None:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > 1024:
        problems.append("Use at most 1024 characters.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        problems.append("This password is too common or too simple.")
    if email and lowered == email.lower():
        problems.append("The password cannot be the email address.")
    if problems:
        raise Invalid("The password is too weak.", details={"password": problems})


def check_role_change(*, actor_id: str, target_id: str, old_role: str, new_role: str, admin_count: int) -> None:
    if new_role not in ROLES:
        raise Invalid(f"Unknown role {new_role!r}.", details={"role": [f"One of {', '.join(ROLES)}."]})
    if old_role == "admin" and new_role != "admin" and admin_count <= 1:
        raise Conflict("The last admin cannot be demoted; make someone else admin first.",
                       code="last_admin")


def check_deletion(*, role: str, admin_count: int) -> None:
    if role == "admin" and admin_count <= 1:
        raise Conflict("The last admin cannot be deleted; make someone else admin first.", code="last_admin")


def matches(user: dict, *, q: str | None, role: str | None) -> bool:
    """Whether an account is among what the admin's search asks for (words of ``q`` all found in
    its email or name, any case; its role)."""
    if role and user.get("role") != role:
        return False
    haystack = f"{user.get('email', '')} {user.get('display_name', '')}".casefold()
    return all(word in haystack for word in (q or "").casefold().split())


def public_view(user: dict) -> dict:
    """What an account looks like from outside: never the password hash."""
    return {**{key: user[key] for key in ("id", "email", "display_name", "role", "created_at", "updated_at")},
            "lang": user.get("lang") or "en"}  # accounts made before issue 19 have none


def new_user_id(now_ts: float) -> str:
    # Sortable by creation (time prefix) and unguessable (random suffix).
    return f"{int(now_ts * 1000):x}{secrets.token_hex(5)}"


def new_account(*, user_id: str, email: str, display_name: str, role: str, password_hash: str, at: str,
                lang: str = "en") -> dict:
    return {"id": user_id, "email": email, "display_name": display_name or email.split("@")[0], "role": role,
            "password_hash": password_hash, "created_at": at, "updated_at": at, "lang": lang}
