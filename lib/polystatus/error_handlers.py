"""Flask's side of polystatus.errors: the handlers that give every error a service answers,
its own or the framework's, the one JSON shape. Registered by app_factory; kept apart so that
polystatus.errors, which domain code imports, imports no web framework."""
from __future__ import annotations

import logging

import redis
from apiflask import APIFlask, HTTPError
from werkzeug.exceptions import HTTPException

from .errors import ServiceError, body, storage_unavailable, unavailable_answer

log = logging.getLogger("polystatus.errors")


def _from_http_error(error: HTTPError):
    extra = dict(error.extra_data or {})
    code = extra.pop("code", None)
    details = error.detail if isinstance(error.detail, dict) else {}
    if error.status_code == 422 and details and not code:
        code = "validation_error"
    message = error.message
    if error.status_code == 422 and details:
        message = "The request did not pass validation; see details."
    return body(error.status_code, message, code=code, details=details), error.status_code, error.headers


def init_app(app: APIFlask) -> None:
    app.error_processor(_from_http_error)

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return body(exc.status, exc.message, code=exc.code, details=exc.details), exc.status, exc.headers

    @app.errorhandler(redis.RedisError)
    def _storage_error(exc: redis.RedisError):
        if not storage_unavailable(exc):
            log.error("unexpected storage error", exc_info=exc)
            return body(500, "The server met an unexpected error; it has been logged."), 500
        # Our own storage is away (a restart, a failover, a frozen server): a passing condition
        # the client should retry, not a bug; readiness (/readyz) says the same to the edge.
        log.warning("redis unavailable: %s: %s", type(exc).__name__, exc)
        return unavailable_answer(exc)

    @app.errorhandler(HTTPException)
    def _werkzeug_error(exc: HTTPException):
        status = exc.code or 500
        if status >= 500:
            original = getattr(exc, "original_exception", None)
            if original is not None:
                log.error("unhandled exception", exc_info=original)
            message = "The server met an unexpected error; it has been logged."
        elif status == 400 and exc.description and "JSON" in exc.description:
            message = "The request body is not valid JSON."
        else:
            message = exc.name if not exc.description else exc.description.split("\n")[0]
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return body(status, message), status, headers
