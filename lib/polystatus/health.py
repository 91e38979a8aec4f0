"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: its Redis answers,
and is a primary that takes writes), for the edge and the orchestrator."""
from __future__ import annotations

import redis
from apiflask import APIFlask

from . import errors
from .redis_store import get_redis


def _why(exc: BaseException) -> str:
    """What /readyz says to the person reading it during an outage."""
    if isinstance(exc, redis.sentinel.MasterNotFoundError):
        return "no Redis primary is known to the Sentinels (a failover may be under way)"
    if isinstance(exc, redis.TimeoutError):
        return "Redis does not answer in time (frozen or overloaded)"
    if isinstance(exc, redis.ReadOnlyError):
        return "Redis is a read-only replica (a failover may be under way)"
    if isinstance(exc, redis.BusyLoadingError):
        return "Redis is loading its data"
    return "Redis is unreachable"


def init_app(app: APIFlask) -> None:
    @app.get("/healthz")
    @app.doc(summary="Liveness: the process is up", tags=["Operations"], responses={200: "alive"})
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    @app.doc(summary="Readiness: the service's Redis is reachable and takes writes", tags=["Operations"],
             responses={200: "ready", 503: "Redis unreachable, frozen, or no primary known"})
    def readyz():
        r = get_redis()
        try:
            r.ping()
            role = r.execute_command("ROLE")[0]
        except (redis.RedisError, OSError) as exc:
            return errors.body(503, _why(exc), details={"redis": f"{type(exc).__name__}: {exc}"}), 503, \
                {"Retry-After": str(errors.STORAGE_RETRY_AFTER_S)}
        if role != "master":
            return errors.body(503, "Redis is a read-only replica (a failover may be under way)",
                               details={"redis": f"role {role}"}), 503, {"Retry-After": str(errors.STORAGE_RETRY_AFTER_S)}
        return {"status": "ready", "checks": {"redis": "ok"}}
