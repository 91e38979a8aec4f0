"""Two-factor rules: TOTP codes (RFC 6238, pyotp), recovery codes, who must use it. Pure.

A code is accepted for the current 30-second step and one on either side (clocks of phones
drift), and a step is accepted once only: a code seen over a shoulder or in a proxy log cannot
be replayed. Recovery codes are 80 random bits each, stored as SHA-256 digests (like API keys:
no dictionary exists for them), and each works once.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp
import segno

STEP_S = 30
RECOVERY_CODES = 10
ISSUER = "PolyStatus"


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits, RFC 4226's recommendation


def provisioning_uri(secret: str, *, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as a QR code (SVG in a data URI: the pages' CSP allows data: images)."""
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def matching_step(secret: str, code: str, *, now_ts: float, last_step: int) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), if later than the last
    step used; None otherwise."""
    code = normalise(code)
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now_ts // STEP_S)
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(totp.at(step * STEP_S), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(10)  # 80 bits
        codes.append("-".join(raw[i:i + 5] for i in range(0, 20, 5)))
    return codes


def digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def required(role: str, *, required_roles: list[str]) -> bool:
    return role in required_roles


def effective_role(role: str, *, enrolled: bool, required_roles: list[str]) -> str:
    """A staff member or admin whom the settings require to use two-factor sign-in, and who has
    not set it up yet, acts as a plain user until they have: they can still reach /account to
    set it up, and nothing staff can do."""
    return "user" if required(role, required_roles=required_roles) and not enrolled else role
