"""Who may see a private status page (PAGE_VISIBILITY). Pure: no Flask, no I/O."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

# Paths that are never private: what signing in (or typing the page's password) needs, the
# staff and admin pages (their data comes from the services, which check the caller's role),
# and the machinery every service has.
OPEN_PREFIXES = ("/static/", "/lang/", "/page-access", "/api/users/", "/login", "/signup", "/reset", "/account",
                 "/subscribe", "/unsubscribe", "/ack", "/console", "/admin", "/healthz", "/readyz", "/metrics",
                 "/docs", "/openapi.json", "/favicon.svg")
# What a read token opens: what a dashboard or a feed reader embeds, never the HTML pages.
TOKEN_READABLE = ("/api/page.json", "/api/v2/", "/history.rss", "/history.atom", "/api/csp-status/checks/")


@dataclass(frozen=True)
class Visitor:
    """What the request says about its sender (each part already verified)."""
    address: str
    role: str | None = None        # from a verified bearer token or the access cookie
    email: str | None = None
    password_cookie: bool = False  # a valid cookie from the password form
    read_token: bool = False       # a ?token= that users knows


def is_private_path(path: str) -> bool:
    return not path.startswith(OPEN_PREFIXES)


def token_may_read(path: str) -> bool:
    return path.startswith(TOKEN_READABLE)


def in_networks(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)


def email_in_domains(email: str | None, domains: list[str]) -> bool:
    if not email or "@" not in email:
        return False
    return email.rsplit("@", 1)[1].lower() in domains


def allowed(*, visibility: str, visitor: Visitor, path: str, domains: list[str], networks: list[str]) -> bool:
    """May this visitor see this (private) path?"""
    if visibility == "public":
        return True
    if visitor.read_token and token_may_read(path):
        return True
    if visitor.role in ("staff", "admin", "service"):
        return True  # the people running the page always see it
    if visibility == "signed_in":
        return visitor.role is not None
    if visibility == "domain":
        return visitor.role is not None and email_in_domains(visitor.email, domains)
    if visibility == "ip":
        return in_networks(visitor.address, networks)
    if visibility == "password":
        return visitor.password_cookie
    return False
