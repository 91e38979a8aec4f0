"""incidents settings: the only module that reads the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping

from polystatus import settings as s


def load(environ: Mapping[str, str] | None = None) -> dict:
    environ = os.environ if environ is None else environ
    config = s.common(environ, port=5001, redis_db=1)
    config.update({
        "PAGE_NAME": s.env_str(environ, "PAGE_NAME", "PolyStatus"),
        "PAGE_ID": s.env_str(environ, "PAGE_ID", "polystatus"),
        "PUBLIC_URL": s.env_str(environ, "PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/"),
        "TIME_ZONE": s.env_str(environ, "TIME_ZONE", "Etc/UTC"),
        "REPORTS_PER_ADDRESS_PER_MINUTE": s.env_int(environ, "REPORTS_PER_ADDRESS_PER_MINUTE", 30, minimum=1),
        "AUTO_INCIDENT_AFTER_MINUTES": s.env_int(environ, "AUTO_INCIDENT_AFTER_MINUTES", 5, minimum=0),
        "CSP_STATUS_EVENTS_URL": s.env_redis_url(environ, "CSP_STATUS_EVENTS_URL", "redis://127.0.0.1:6379/4"),
        "EVENTS_MAX_AGE_DAYS": s.env_int(environ, "EVENTS_MAX_AGE_DAYS", 7, minimum=1),
    })
    return config
