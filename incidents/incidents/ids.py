"""Short, URL-safe, sortable ids: 9 base32 characters of milliseconds, 3 of randomness."""
from __future__ import annotations

import re
import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32, lower case
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def new_id(now: float | None = None) -> str:
    ms = int((time.time() if now is None else now) * 1000)
    head = ""
    for _ in range(9):
        head = _ALPHABET[ms % 32] + head
        ms //= 32
    return head + "".join(secrets.choice(_ALPHABET) for _ in range(3))
