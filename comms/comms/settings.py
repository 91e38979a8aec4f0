"""comms settings: the only module that reads the environment."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from urllib.parse import urlparse

from polystatus import settings as s


def load(environ: Mapping[str, str] | None = None) -> dict:
    environ = os.environ if environ is None else environ
    config = s.common(environ, port=5003, redis_db=3)
    smtp = s.env_secret(environ, "SMTP_URL", "smtp://127.0.0.1:2525")
    if urlparse(smtp).scheme not in ("smtp", "smtps", "smtp+starttls"):
        raise s.SettingsError("SMTP_URL must be smtp://, smtps:// or smtp+starttls://")
    config.update({
        "SMTP_URL": smtp,
        "MAIL_FROM": s.env_str(environ, "MAIL_FROM", "PolyStatus <status@polystatus.localhost>"),
        "MAIL_CATCHER_DIR": s.env_str(environ, "MAIL_CATCHER_DIR", ""),
        "PUBLIC_URL": s.env_str(environ, "PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/"),
        # A random secret in development keeps links working until restart; set it in production.
        "UNSUBSCRIBE_SECRET": s.env_secret(environ, "UNSUBSCRIBE_SECRET") or secrets.token_urlsafe(32),
        "ONLY_LOG": s.env_bool(environ, "ONLY_LOG", False),
        "ALERT_REPEAT_MINUTES": s.env_int(environ, "ALERT_REPEAT_MINUTES", 15, minimum=1),
        "DELIVERY_LOCK_S": s.env_int(environ, "DELIVERY_LOCK_S", 60, minimum=1),
        "MAX_ATTEMPTS": s.env_int(environ, "MAX_ATTEMPTS", 6, minimum=1),
        "RUN_REPORT_TO": s.env_str(environ, "RUN_REPORT_TO", ""),
        # A YAML file of channels (see comms/config_file.py), applied when the worker starts and
        # by POST /config/reload.
        "CHANNELS_CONFIG": s.env_str(environ, "CHANNELS_CONFIG", ""),
        "SUBSCRIBE_TOKEN_TTL": s.env_int(environ, "SUBSCRIBE_TOKEN_TTL", 86400, minimum=300, maximum=7 * 86400),
        "SUBSCRIBE_LIMIT_PER_ADDRESS": s.env_int(environ, "SUBSCRIBE_LIMIT_PER_ADDRESS", 10, minimum=1),
        "SUBSCRIBE_LIMIT_PER_EMAIL": s.env_int(environ, "SUBSCRIBE_LIMIT_PER_EMAIL", 5, minimum=1),
        "USERS_URL": s.env_str(environ, "USERS_URL", "http://127.0.0.1:5002").rstrip("/"),
        "SERVICE_CLIENT_ID": s.env_str(environ, "SERVICE_CLIENT_ID", "comms"),
        "SERVICE_CLIENT_SECRET": s.env_secret(environ, "SERVICE_CLIENT_SECRET", ""),
        "INCIDENTS_EVENTS_URL": s.env_redis_url(environ, "INCIDENTS_EVENTS_URL", "redis://127.0.0.1:6379/1"),
        "CSP_STATUS_EVENTS_URL": s.env_redis_url(environ, "CSP_STATUS_EVENTS_URL", "redis://127.0.0.1:6379/4"),
        "USERS_EVENTS_URL": s.env_redis_url(environ, "USERS_EVENTS_URL", "redis://127.0.0.1:6379/2"),
    })
    return config


def channel_url(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The URL a declared channel names (``url_env: CHANNEL_URL_SENTRY``): that variable, or the
    file ``CHANNEL_URL_SENTRY_FILE`` names, so the config file itself holds no secret. The name
    was vetted by config_file (only ``CHANNEL_URL_*``)."""
    return s.env_secret(os.environ if environ is None else environ, name)
