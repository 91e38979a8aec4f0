"""feature-flags settings: the only module that reads the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping

from polystatus import settings as s


def _keys(items: list[str]) -> dict[str, str]:
    """FLAGS_API_KEYS="server:<key>,client:<key>" -> {key: kind}."""
    keys = {}
    for item in items:
        kind, sep, key = item.partition(":")
        if not sep or kind not in ("server", "client") or len(key) < 16:
            raise s.SettingsError("FLAGS_API_KEYS must be 'server:<key>' or 'client:<key>' items, keys of 16+ characters")
        keys[key] = kind
    return keys


def load(environ: Mapping[str, str] | None = None) -> dict:
    environ = os.environ if environ is None else environ
    config = s.common(environ, port=5005, redis_db=5)
    config.update({
        "FLAGS_API_KEYS": _keys(s.env_list(environ, "FLAGS_API_KEYS", [])),
        "OFREP_RATE_LIMIT": s.env_int(environ, "OFREP_RATE_LIMIT", 6000, minimum=1),
        "FLAG_CACHE_S": s.env_float(environ, "FLAG_CACHE_S", 1.0, minimum=0.0),
    })
    return config
