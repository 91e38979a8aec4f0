"""csp-status settings: the only module that reads the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping

from polystatus import settings as s


def _private_targets(raw: str):
    """1/true: any target; 0/false: public only; or comma-separated CIDR ranges to allow."""
    import ipaddress

    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    ranges = [part.strip() for part in raw.split(",") if part.strip()]
    for part in ranges:
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise s.SettingsError(f"CSP_ALLOW_PRIVATE_TARGETS: {part!r} is neither 1/0 nor a CIDR range") from None
    return ranges


def load(environ: Mapping[str, str] | None = None) -> dict:
    environ = os.environ if environ is None else environ
    config = s.common(environ, port=5004, redis_db=4)
    # --- providers (issue 5) ---
    config.update({
        "CSP_ALLOW_PRIVATE_TARGETS": _private_targets(s.env_str(environ, "CSP_ALLOW_PRIVATE_TARGETS", "0")),
        "PROVIDER_UNKNOWN_AFTER": s.env_int(environ, "PROVIDER_UNKNOWN_AFTER", 900, minimum=0),
        "PROVIDER_TIMEOUT": s.env_float(environ, "PROVIDER_TIMEOUT", 10.0, minimum=0.5),
        "PROVIDER_CONCURRENCY_PER_HOST": s.env_int(environ, "PROVIDER_CONCURRENCY_PER_HOST", 2, minimum=1),
    })
    # --- checks, heartbeats, agents (issue 6) ---
    config.update({
        "PUBLIC_URL": s.env_str(environ, "PUBLIC_URL", f"http://127.0.0.1:{config['PORT']}"),
        "PINGS_PER_MINUTE": s.env_int(environ, "PINGS_PER_MINUTE", 120, minimum=1),
        # Healthchecks' PING_BODY_LIMIT: bytes of a ping's body kept (and its Ping-Body-Limit header).
        "PING_BODY_LIMIT": s.env_int(environ, "PING_BODY_LIMIT", 10000, minimum=0),
        # How long a process trusts its lookup of a slug for slug pings (see heartbeats.flows).
        "PING_SLUG_CACHE_S": s.env_float(environ, "PING_SLUG_CACHE_S", 5.0, minimum=0.0),
        "APPS_TIMEOUT": s.env_int(environ, "APPS_TIMEOUT", 300, minimum=10),
        "APPS_GRACE": s.env_int(environ, "APPS_GRACE", 60, minimum=0),
        "APPS_NEW_PER_HOUR": s.env_int(environ, "APPS_NEW_PER_HOUR", 30, minimum=1),
        "CHECKS_CONFIG": s.env_str(environ, "CHECKS_CONFIG", ""),
        "CHECK_CONCURRENCY": s.env_int(environ, "CHECK_CONCURRENCY", 200, minimum=1),
        # [DOMAIN_EXPIRATION]: the RDAP bootstrap file mapping TLDs to registries' RDAP servers
        "RDAP_BOOTSTRAP_URL": s.env_url(environ, "RDAP_BOOTSTRAP_URL", "https://data.iana.org/rdap/dns.json",
                                        schemes=("http", "https")),
    })
    # --- sql, redis and icmp checks (issue 17) ---
    keys = s.env_secret(environ, "CHECK_SECRETS_KEY") or ""
    config.update({
        # seals DSN passwords at rest (comma-separated: the first seals, any opens)
        "CHECK_SECRETS_KEY": [key.strip() for key in keys.split(",") if key.strip()],
        # database drivers block: they run on this many threads, beside the async HTTP checks
        "CHECK_BLOCKING_CONCURRENCY": s.env_int(environ, "CHECK_BLOCKING_CONCURRENCY", 16, minimum=1),
    })
    return config


def check_secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """A password a check names (``password_env: CHECK_SECRET_SHOP_DB``), read when the check runs,
    on the machine that runs it: ``CHECK_SECRET_SHOP_DB``, or the file ``CHECK_SECRET_SHOP_DB_FILE``
    names. The name was vetted by the check spec (only ``CHECK_SECRET_*``)."""
    return s.env_secret(os.environ if environ is None else environ, name)
