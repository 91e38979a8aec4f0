"""Attaching a Redis client to an app (never at module level, so tests choose the server)."""
from __future__ import annotations

import redis
from flask import Flask, current_app


def connect(url: str, *, timeout: float = 5.0) -> redis.Redis:
    # decode_responses: every service stores text (JSON, ids); bytes would leak into the domain.
    return redis.Redis.from_url(
        url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout,
        health_check_interval=30, retry_on_timeout=True,
    )


def init_app(app: Flask) -> redis.Redis:
    client = connect(app.config["REDIS_URL"])
    app.extensions["redis"] = client
    return client


def get_redis() -> redis.Redis:
    return current_app.extensions["redis"]
