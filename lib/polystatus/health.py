"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: its Redis answers)."""
from __future__ import annotations

import redis
from apiflask import APIFlask

from . import errors
from .redis_store import get_redis


def init_app(app: APIFlask) -> None:
    @app.get("/healthz")
    @app.doc(summary="Liveness: the process is up", tags=["Operations"], responses={200: "alive"})
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    @app.doc(summary="Readiness: the service's Redis is reachable", tags=["Operations"],
             responses={200: "ready", 503: "Redis unreachable"})
    def readyz():
        try:
            get_redis().ping()
        except (redis.RedisError, OSError) as exc:
            return errors.body(503, "Redis is unreachable", details={"redis": str(exc)}), 503
        return {"status": "ready", "checks": {"redis": "ok"}}
