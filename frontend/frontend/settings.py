"""frontend settings: the only module that reads the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping

from polystatus import settings as s

BACKENDS = {"incidents": 5001, "users": 5002, "comms": 5003, "csp-status": 5004, "feature-flags": 5005}


VISIBILITIES = ("public", "signed_in", "domain", "ip", "password")


def page_access(environ: Mapping[str, str]) -> dict:
    """Who may see the public page, its API, feeds and badges (frontend/access)."""
    import ipaddress

    visibility = s.env_str(environ, "PAGE_VISIBILITY", "public").strip().lower()
    if visibility not in VISIBILITIES:
        raise s.SettingsError(f"PAGE_VISIBILITY must be one of {', '.join(VISIBILITIES)}")
    domains = [d.strip().lower().lstrip("@") for d in s.env_list(environ, "PAGE_ALLOWED_DOMAINS", []) if d.strip()]
    networks = s.env_list(environ, "PAGE_ALLOWED_IPS", [])
    try:
        for network in networks:
            ipaddress.ip_network(network.strip(), strict=False)
    except ValueError as exc:
        raise s.SettingsError(f"PAGE_ALLOWED_IPS: {exc}") from None
    password = s.env_secret(environ, "PAGE_PASSWORD", "") or ""
    cookie_secret = s.env_secret(environ, "PAGE_COOKIE_SECRET", "") or ""
    if visibility == "domain" and not domains:
        raise s.SettingsError("PAGE_VISIBILITY=domain needs PAGE_ALLOWED_DOMAINS")
    if visibility == "ip" and not networks:
        raise s.SettingsError("PAGE_VISIBILITY=ip needs PAGE_ALLOWED_IPS")
    if visibility == "password" and len(password) < 8:
        raise s.SettingsError("PAGE_VISIBILITY=password needs a PAGE_PASSWORD of 8+ characters")
    if visibility in ("signed_in", "domain", "password") and len(cookie_secret) < 16:
        # The access cookie is signed with it: every replica must share it, so it is not made up here.
        raise s.SettingsError(f"PAGE_VISIBILITY={visibility} needs a PAGE_COOKIE_SECRET of 16+ characters")
    return {
        "PAGE_VISIBILITY": visibility, "PAGE_ALLOWED_DOMAINS": domains,
        "PAGE_ALLOWED_IPS": [n.strip() for n in networks], "PAGE_PASSWORD": password,
        "PAGE_COOKIE_SECRET": cookie_secret,
        "PAGE_COOKIE_TTL": s.env_int(environ, "PAGE_COOKIE_TTL", 12 * 3600, minimum=60, maximum=90 * 86400),
        "PAGE_PASSWORD_TRIES": s.env_int(environ, "PAGE_PASSWORD_TRIES", 10, minimum=1),
    }


def load(environ: Mapping[str, str] | None = None) -> dict:
    environ = os.environ if environ is None else environ
    config = s.common(environ, port=8080, redis_db=6)
    backends = {}
    for name, port in BACKENDS.items():
        variable = name.upper().replace("-", "_") + "_URL"
        backends[name] = s.env_url(environ, variable, f"http://127.0.0.1:{port}", schemes=("http", "https")).rstrip("/")
    config.update({
        "BACKENDS": backends,
        "PAGE_CACHE_TTL": s.env_float(environ, "PAGE_CACHE_TTL", 5.0, minimum=0.0),
        "PAGE_STALE_TTL": s.env_float(environ, "PAGE_STALE_TTL", 300.0, minimum=0.0),
        # The page says "may be out of date" when the copy a browser gets is older than this.
        "PAGE_OUTDATED_AFTER": s.env_float(environ, "PAGE_OUTDATED_AFTER", 60.0, minimum=1.0),
        "BACKEND_TIMEOUT": s.env_float(environ, "BACKEND_TIMEOUT", 3.0, minimum=0.1),
        "PASSWORD_BACKEND_TIMEOUT": s.env_float(environ, "PASSWORD_BACKEND_TIMEOUT", 10.0, minimum=0.1),
        # Unlike the services (which sit behind the frontend on loopback), the frontend is the
        # public entry under `make up`, so it trusts no proxy by default; the HA shape, compose
        # and Kubernetes name their edge in TRUSTED_PROXIES.
        "TRUSTED_PROXIES": s.trusted_proxies(environ, default=()),
        # The frontend's service account: it asks users whether a private page's ?token= is a read token.
        "SERVICE_CLIENT_ID": s.env_str(environ, "SERVICE_CLIENT_ID", ""),
        "SERVICE_CLIENT_SECRET": s.env_secret(environ, "SERVICE_CLIENT_SECRET", ""),
        "FLAGS_API_KEY": s.env_secret(environ, "FLAGS_API_KEY", ""),
        **page_access(environ),
        "SERVES_PAGES": True,
        # The frontend changes nothing itself: the writes it passes on are audited by the
        # services that make them (and no one consumes a frontend stream).
        "AUDIT_WRITES": False,
    })
    return config
