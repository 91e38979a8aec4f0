"""users settings: the only module that reads the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping

from polystatus import settings as s


def _clients(raw: list[str]) -> dict[str, str]:
    clients = {}
    for item in raw:
        name, sep, secret = item.partition("=")
        if not sep or not name.strip() or len(secret.strip()) < 16:
            raise s.SettingsError("SERVICE_CLIENTS must be 'name=secret,...' with secrets of 16+ characters")
        clients[name.strip()] = secret.strip()
    return clients


def load(environ: Mapping[str, str] | None = None) -> dict:
    environ = os.environ if environ is None else environ
    config = s.common(environ, port=5002, redis_db=2)
    config.update({
        "ACCESS_TOKEN_TTL": s.env_int(environ, "ACCESS_TOKEN_TTL", 900, minimum=30, maximum=86400),
        "REFRESH_TOKEN_TTL": s.env_int(environ, "REFRESH_TOKEN_TTL", 30 * 86400, minimum=300),
        "SERVICE_TOKEN_TTL": s.env_int(environ, "SERVICE_TOKEN_TTL", 600, minimum=30, maximum=86400),
        "SERVICE_CLIENTS": _clients(s.env_list(environ, "SERVICE_CLIENTS", [])),
        "SIGNING_KEY": s.env_secret(environ, "SIGNING_KEY"),
        "LOGIN_LIMIT_PER_ACCOUNT": s.env_int(environ, "LOGIN_LIMIT_PER_ACCOUNT", 10, minimum=1),
        "LOGIN_LIMIT_PER_ADDRESS": s.env_int(environ, "LOGIN_LIMIT_PER_ADDRESS", 30, minimum=1),
        "REGISTER_LIMIT_PER_ADDRESS": s.env_int(environ, "REGISTER_LIMIT_PER_ADDRESS", 10, minimum=1),
        "TRUSTED_PROXIES": s.env_list(environ, "TRUSTED_PROXIES", ["127.0.0.1"]),
    })
    return config
