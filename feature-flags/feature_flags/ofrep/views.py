"""OFREP, the OpenFeature Remote Evaluation Protocol: any OpenFeature SDK with the OFREP
provider evaluates PolyStatus flags. Errors follow the protocol's own shape
({key, errorCode, errorDetails}), not the platform's, because SDKs parse them."""
from __future__ import annotations

import hashlib
import hmac
import json

from apiflask import APIBlueprint
from flask import current_app, jsonify, request
from polystatus import ratelimits
from polystatus.redis_store import get_redis

from ..flags import service

bp = APIBlueprint("ofrep", __name__, tag="OFREP")
SUCCESS = {"type": "object", "required": ["key", "value", "reason", "variant"],
           "properties": {"key": {"type": "string"}, "value": {}, "reason": {"type": "string"},
                          "variant": {"type": "string"}, "metadata": {"type": "object"}}}
ERROR = {"type": "object", "required": ["errorCode"],
         "properties": {"key": {"type": "string"}, "errorCode": {"type": "string"}, "errorDetails": {"type": "string"}}}
BODY = {"content": {"application/json": {"schema": {"type": "object", "properties": {"context": {"type": "object"}}}}}}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


def ofrep_error(status: int, code: str, details: str, key: str | None = None, headers: dict | None = None):
    body = {"errorCode": code, "errorDetails": details}
    if key is not None:
        body = {"key": key, **body}
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def authorise() -> tuple[str | None, object]:
    """(the key's kind or None when keys are not required, or an error response)."""
    keys = current_app.config["FLAGS_API_KEYS"]
    if not keys:
        return None, None
    given = request.headers.get("X-API-Key") or request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not given:
        return None, ofrep_error(401, "GENERAL", "An API key is required (X-API-Key or Authorization: Bearer).")
    for key, kind in keys.items():
        if hmac.compare_digest(key.encode(), given.encode()):
            return kind, None
    return None, ofrep_error(403, "GENERAL", "This API key is not valid.")


def read_context(key: str | None):
    raw = request.get_data(cache=True)
    if not raw:
        return {}, None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, ofrep_error(400, "PARSE_ERROR", "The body is not valid JSON.", key)
    context = body.get("context", {}) if isinstance(body, dict) else None
    if not isinstance(context, dict):
        return None, ofrep_error(400, "INVALID_CONTEXT", "`context` must be an object.", key)
    return context, None


def prelude(key: str | None):
    kind, error = authorise()
    if error is not None:
        return None, None, error
    address = ratelimits.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"), ["127.0.0.1"])
    # SDKs evaluate on every page view: the limit is reserved in chunks, not a round trip each.
    allowed, retry = current_app.extensions["ofrep_limiter"].hit(get_redis(), f"ofrep:{address}", current_app.config["OFREP_RATE_LIMIT"], 60)
    if not allowed:
        return None, None, ofrep_error(429, "GENERAL", "Too many evaluations.", key, {"Retry-After": str(retry)})
    context, error = read_context(key)
    return kind, context, error


def evaluate_one(key: str, flags: dict, segments: dict, context: dict, kind: str | None) -> tuple[int, dict]:
    flag = flags.get(key)
    if flag is None or (kind == "client" and not flag.get("client_visible")):
        return 404, {"key": key, "errorCode": "FLAG_NOT_FOUND", "errorDetails": f"No flag {key!r}."}
    try:
        return 200, {"key": key, **service.evaluate(flag, context, segments)}
    except service.EvaluationError as exc:
        return 400, {"key": key, "errorCode": exc.code, "errorDetails": exc.details}


@bp.post("/ofrep/v1/evaluate/flags/<key>")
@bp.doc(summary="Evaluate one flag (OFREP)", responses={
    200: {"description": "evaluated", **_json(SUCCESS)}, 400: {"description": "bad context", **_json(ERROR)},
    401: {"description": "API key required", **_json(ERROR)}, 403: {"description": "bad API key", **_json(ERROR)},
    404: {"description": "no such flag", **_json(ERROR)}, 429: {"description": "rate limited", **_json(ERROR)}})
def evaluate_flag(key):
    kind, context, error = prelude(key)
    if error is not None:
        return error
    _, flags, segments = current_app.extensions["flag_cache"].snapshot(get_redis())
    status, body = evaluate_one(key, flags, segments, context, kind)
    response = jsonify(body)
    response.status_code = status
    return response


@bp.post("/ofrep/v1/evaluate/flags")
@bp.doc(summary="Evaluate every flag for a context, with an ETag (OFREP bulk)", responses={
    200: {"description": "evaluated", **_json({"type": "object", "properties": {"flags": {"type": "array"}}})},
    304: {"description": "nothing changed for this context"}, 400: {"description": "bad context", **_json(ERROR)},
    401: {"description": "API key required", **_json(ERROR)}, 403: {"description": "bad API key", **_json(ERROR)},
    429: {"description": "rate limited", **_json(ERROR)}})
def evaluate_all():
    kind, context, error = prelude(None)
    if error is not None:
        return error
    version, flags, segments = current_app.extensions["flag_cache"].snapshot(get_redis())
    # The answer depends only on the flags' version, the context and the key's kind.
    tag = hashlib.sha256(json.dumps([version, kind, context], sort_keys=True, default=str).encode()).hexdigest()[:32]
    etag = f'"{tag}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = current_app.response_class(status=304)
        response.headers["ETag"] = etag
        return response
    results = [evaluate_one(key, flags, segments, context, kind)[1] for key in sorted(flags)]
    results = [item for item in results if item.get("errorCode") != "FLAG_NOT_FOUND"]
    response = jsonify({"flags": results})
    response.headers["ETag"] = etag
    return response
