"""Account rules: pure functions, no I/O."""
from __future__ import annotations

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


def public_view(user: dict) -> dict:
    """What an account looks like from outside: never the password hash."""
    return {key: user[key] for key in ("id", "email", "display_name", "role", "created_at", "updated_at")}
