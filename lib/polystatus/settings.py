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


def common(environ: Mapping[str, str] | None = None, *, port: int, redis_db: int) -> dict:
    """The settings every service has, as Flask config keys.

    ``redis_db`` is the database number the service uses on the shared development Redis;
    in production each service gets a ``REDIS_URL`` of its own.
    """
    environ = os.environ if environ is None else environ
    return {
        "PORT": env_int(environ, "PORT", port, minimum=1, maximum=65535),
        "REDIS_URL": env_url(
            environ, "REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}",
            schemes=("redis", "rediss", "unix"),
        ),
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
    }
