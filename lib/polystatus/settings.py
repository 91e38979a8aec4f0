"""Reading settings from the environment.

Every service reads its settings in exactly one module (its own ``settings.py``) with these
parsers, so a bad value stops the process at start-up with a message naming the variable,
instead of failing on the first request that needs it.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse


class SettingsError(RuntimeError):
    """A setting has a value the service cannot run with."""


def _raw(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    if value is None or value == "":
        return None
    return value


def env_str(environ: Mapping[str, str], name: str, default: str) -> str:
    value = _raw(environ, name)
    return default if value is None else value


def env_int(
    environ: Mapping[str, str], name: str, default: int, *, minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    value = _raw(environ, name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise SettingsError(f"{name} must be <= {maximum}, got {number}")
    return number


def env_float(environ: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    value = _raw(environ, name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {value!r}") from None
    if number < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {number}")
    return number


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = _raw(environ, name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def env_list(environ: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    value = _raw(environ, name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(
    environ: Mapping[str, str], name: str, default: str, *, schemes: tuple[str, ...],
) -> str:
    value = env_str(environ, name, default)
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        raise SettingsError(f"{name} must be a URL with scheme {'/'.join(schemes)}, got {value!r}")
    return value


REDIS_SCHEMES = ("redis", "rediss", "unix", "redis+sentinel", "rediss+sentinel")


def env_redis_url(environ: Mapping[str, str], name: str, default: str) -> str:
    """A Redis URL: ``redis://``, ``rediss://``, ``unix://``, or a Sentinel URL
    (``redis+sentinel://h1:26379,h2:26379/<master-name>/<db>``, see polystatus.redis_store)."""
    value = env_url(environ, name, default, schemes=REDIS_SCHEMES)
    if value.split("://", 1)[0].endswith("+sentinel"):
        from .redis_store import parse_sentinel_url

        try:
            parse_sentinel_url(value)
        except ValueError as exc:
            raise SettingsError(f"{name}: {exc}") from None
    return value


def env_secret(environ: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (Docker/K8s secrets)."""
    path = _raw(environ, f"{name}_FILE")
    if path is not None:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise SettingsError(f"{name}_FILE points to {path!r}, which cannot be read: {exc}") from None
    value = _raw(environ, name)
    return default if value is None else value


LOOPBACK = ("127.0.0.1", "::1")


def trusted_proxies(environ: Mapping[str, str], *, default: tuple[str, ...] = LOOPBACK) -> list[str]:
    """``TRUSTED_PROXIES``: the addresses or networks X-Forwarded-For is believed from (the edge);
    the one definition every service (and OFREP) reads. A typo stops the start rather than
    silently trusting nobody."""
    import ipaddress

    items = env_list(environ, "TRUSTED_PROXIES", list(default))
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingsError(f"TRUSTED_PROXIES: {item!r} is not an address or a network") from None
    return items


def common(environ: Mapping[str, str] | None = None, *, port: int, redis_db: int) -> dict:
    """The settings every service has, as Flask config keys.

    ``redis_db`` is the database number the service uses on the shared development Redis;
    in production each service gets a ``REDIS_URL`` of its own.
    """
    environ = os.environ if environ is None else environ
    return {
        "PORT": env_int(environ, "PORT", port, minimum=1, maximum=65535),
        "REDIS_URL": env_redis_url(environ, "REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}"),
        # The longest a request waits for one Redis command: a frozen Redis costs one of these,
        # then a 503, well within a caller's own timeout (the edge's, the frontend's).
        "REDIS_TIMEOUT": env_float(environ, "REDIS_TIMEOUT", 1.0, minimum=0.05),
        # How long a write a person would type again waits for a replica (redis_store.commit).
        "REDIS_WAIT_TIMEOUT_MS": env_int(environ, "REDIS_WAIT_TIMEOUT_MS", 500, minimum=1, maximum=60_000),
        "JWKS_URL": env_url(
            environ, "JWKS_URL", "http://127.0.0.1:5002/.well-known/jwks.json",
            schemes=("http", "https"),
        ),
        "JWT_ISSUER": env_str(environ, "JWT_ISSUER", "polystatus-users"),
        "CORS_ORIGINS": env_list(environ, "CORS_ORIGINS", ["http://127.0.0.1:8080", "http://localhost:8080"]),
        "LOG_LEVEL": env_str(environ, "LOG_LEVEL", "INFO").upper(),
        "LOG_FORMAT": env_str(environ, "LOG_FORMAT", "json"),
        "MAX_CONTENT_LENGTH": env_int(environ, "MAX_CONTENT_LENGTH", 1_048_576, minimum=1024),
        "OUTBOUND_TIMEOUT": env_float(environ, "OUTBOUND_TIMEOUT", 5.0, minimum=0.1),
        # X-Forwarded-For is believed from these only (the edge).
        "TRUSTED_PROXIES": trusted_proxies(environ),
        # A private status page (polystatus.page_access; the frontend reads its finer settings).
        "PAGE_VISIBILITY": _visibility(environ),
        **api_keys(environ),
        **sentry(environ),
    }


def _visibility(environ: Mapping[str, str]) -> str:
    value = env_str(environ, "PAGE_VISIBILITY", "public").strip().lower()
    if value not in ("public", "signed_in", "domain", "ip", "password"):
        raise SettingsError("PAGE_VISIBILITY must be one of public, signed_in, domain, ip, password")
    return value
def api_keys(environ: Mapping[str, str]) -> dict:
    """How a service checks the API keys (``psk_...``) that users issues (polystatus.auth).

    It asks users's introspection endpoint, as a service (``SERVICE_CLIENT_ID``/``_SECRET``,
    the client credentials users lists in ``SERVICE_CLIENTS``), and keeps the answer
    ``API_KEY_CACHE_TTL`` seconds: at most that long before a revocation or a lowered role
    reaches this service, so it is capped at a minute.
    """
    jwks_url = env_url(environ, "JWKS_URL", "http://127.0.0.1:5002/.well-known/jwks.json", schemes=("http", "https"))
    users_base = jwks_url.removesuffix("/.well-known/jwks.json")
    ttl = env_float(environ, "API_KEY_CACHE_TTL", 30.0)
    if ttl > 60:
        raise SettingsError(f"API_KEY_CACHE_TTL must be at most 60 (seconds), got {ttl}")
    return {
        "API_KEY_CACHE_TTL": ttl,
        "API_KEY_INTROSPECT_URL": env_url(environ, "API_KEY_INTROSPECT_URL", f"{users_base}/auth/api-keys/introspect",
                                          schemes=("http", "https")),
        "SERVICE_CLIENT_ID": env_str(environ, "SERVICE_CLIENT_ID", ""),
        "SERVICE_CLIENT_SECRET": env_secret(environ, "SERVICE_CLIENT_SECRET", "") or "",
    }


def sentry(environ: Mapping[str, str]) -> dict:
    """The service's own error reports (``polystatus.error_reports``); off without SENTRY_DSN.

    Read here rather than by sentry-sdk from the environment, so a bad DSN or rate stops the
    start like any other setting, and workers (which have no Flask config) read the same keys.
    """
    dsn = env_secret(environ, "SENTRY_DSN", "") or ""
    if dsn:
        parts = urlparse(dsn)
        project = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if parts.scheme not in ("http", "https") or not parts.hostname or not parts.username \
                or not project.isdigit():
            raise SettingsError("SENTRY_DSN must be a Sentry DSN, https://<public key>@<host>/<project id>")
    rate = env_float(environ, "SENTRY_TRACES_SAMPLE_RATE", 0.0)
    if rate > 1:
        raise SettingsError(f"SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1, got {rate}")
    return {"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": env_str(environ, "SENTRY_ENVIRONMENT", "production"),
            "SENTRY_TRACES_SAMPLE_RATE": rate}
