"""The one JSON error shape, and the exceptions domain code raises to produce it.

Every error any service answers, its own or the framework's (404 on an unknown route, 405,
413, a malformed JSON body, an unhandled exception) looks like::

    {"error": {"status": 404, "code": "not_found", "message": "...", "details": {...}},
     "request_id": "..."}

Domain logic raises :class:`ServiceError` subclasses; they know nothing of Flask, so the
domain layer stays free of web imports while still choosing the status a client sees. This
module imports no web framework (a test holds every ``service.py`` to it); Flask's handlers
that turn these into answers are registered by :mod:`polystatus.error_handlers`.
"""
from __future__ import annotations

import sys

import redis

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


# A Redis error that means "not now" rather than "a bug": the server is unreachable, frozen
# (timeout), loading its data, or, during a failover, a demoted primary (READONLY) or a replica
# that lost its primary (MASTERDOWN); redis-py's Sentinel client raises MasterNotFoundError, a
# ConnectionError, while no primary is known.
_UNAVAILABLE_REPLIES = ("READONLY", "MASTERDOWN", "LOADING", "NOREPLICAS", "TRYAGAIN", "CLUSTERDOWN")
STORAGE_RETRY_AFTER_S = 2


def storage_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError)):
        return True
    return isinstance(exc, redis.ResponseError) and str(exc).split(" ", 1)[0].upper() in _UNAVAILABLE_REPLIES


class StorageUnavailable(ServiceError):
    status, code = 503, "unavailable"

    def __init__(self, reason: str = ""):
        super().__init__("The service's storage is unavailable; try again shortly.",
                         details={"reason": reason} if reason else {},
                         headers={"Retry-After": str(STORAGE_RETRY_AFTER_S)})


def unavailable_answer(exc: BaseException):
    """(body, 503, headers) for a storage error, as every transport answers it."""
    error = StorageUnavailable(type(exc).__name__)
    return body(error.status, error.message, code=error.code, details=error.details), error.status, error.headers


def body(status: int, message: str, *, code: str | None = None, details: dict | None = None) -> dict:
    return {
        "error": {
            "status": status,
            "code": code or CODES.get(status, "error"),
            "message": message,
            "details": details or {},
        },
        "request_id": _request_id(),
    }


def _request_id() -> str | None:
    # Flask is looked up, not imported: when no module loaded it, there is no request either.
    flask = sys.modules.get("flask")
    return flask.g.get("request_id") if flask is not None and flask.has_request_context() else None
