"""Roles and API-key scopes: plain data, shared by the web layer (polystatus.auth) and the pure
domain rules (users' apikeys.service) without pulling Flask into the latter.

Roles are ranked: ``admin`` > ``staff`` > ``user``; ``service`` stands apart. A key's scope is
``<service>:read`` or ``<service>:write`` (write includes read).
"""
from __future__ import annotations

RANK = {"user": 1, "staff": 2, "admin": 3}
ROLES = tuple(RANK) + ("service",)

API_KEY_PREFIX = "psk_"
# The services a key can be scoped to, and the two accesses on each.
KEY_SERVICES = ("incidents", "users", "comms", "csp-status", "feature-flags")
SCOPES = tuple(f"{service}:{access}" for service in KEY_SERVICES for access in ("read", "write"))
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def scope_needed(service: str, method: str) -> str:
    return f"{service}:{'read' if method.upper() in READ_METHODS else 'write'}"
