"""frontend settings: the only module that reads the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping

from polystatus import settings as s

BACKENDS = {"incidents": 5001, "users": 5002, "comms": 5003, "csp-status": 5004, "feature-flags": 5005}


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
        "BACKEND_TIMEOUT": s.env_float(environ, "BACKEND_TIMEOUT", 3.0, minimum=0.1),
        "FLAGS_API_KEY": s.env_secret(environ, "FLAGS_API_KEY", ""),
        "SERVES_PAGES": True,
    })
    return config
