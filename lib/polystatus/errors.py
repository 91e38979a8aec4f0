"""The one JSON error shape, and the exceptions domain code raises to produce it.

Every error any service answers, its own or the framework's (404 on an unknown route, 405,
413, a malformed JSON body, an unhandled exception) looks like::

    {"error": {"status": 404, "code": "not_found", "message": "...", "details": {...}},
     "request_id": "..."}

Domain logic raises :class:`ServiceError` subclasses; they know nothing of Flask, so the
domain layer stays free of web imports while still choosing the status a client sees.
"""
from __future__ import annotations

import logging

import redis
from apiflask import APIFlask, HTTPError
from flask import g, has_request_context
from werkzeug.exceptions import HTTPException

log = logging.getLogger("polystatus.errors")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
    504: "gateway_timeout",
}


class ServiceError(Exception):
    """An error with an HTTP status, a stable machine code and a human message."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: dict | None = None, code: str | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code
        self.headers = headers or {}

    def with_status(self, status: int) -> ServiceError:
        self.status = status
        return self


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class Invalid(ServiceError):
    """Well-formed input that the domain refuses (a transition that makes no sense, ...)."""

    status, code = 422, "validation_error"


class RateLimited(ServiceError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, *, retry_after: int, details: dict | None = None):
        super().__init__(message, details=details, headers={"Retry-After": str(max(1, int(retry_after)))})
        self.retry_after = max(1, int(retry_after))


class Unavailable(ServiceError):
    status, code = 503, "unavailable"


def body(status: int, message: str, *, code: str | None = None, details: dict | None = None) -> dict:
    return {
        "error": {
            "status": status,
            "code": code or CODES.get(status, "error"),
            "message": message,
            "details": details or {},
        },
        "request_id": g.get("request_id") if has_request_context() else None,
    }


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

    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def _storage_unavailable(exc: redis.RedisError):
        # Our own storage is down (a restart, a failover): a passing condition the client should
        # retry, not a bug; readiness (/readyz) says the same to the load balancer.
        log.warning("redis unavailable: %s", exc)
        return (body(503, "The service's storage is unavailable; try again shortly.", code="unavailable"), 503,
                {"Retry-After": "5"})

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
