"""OFREP, the OpenFeature Remote Evaluation Protocol: any OpenFeature SDK with the OFREP
provider evaluates PolyStatus flags. Errors follow the protocol's own shape
({key, errorCode, errorDetails}), not the platform's, because SDKs parse them."""
from __future__ import annotations

import hashlib
import json

from apiflask import APIBlueprint
from flask import current_app, jsonify, request
from polystatus import audit
from polystatus.redis_store import get_redis

from . import flows

bp = APIBlueprint("ofrep", __name__, tag="OFREP")
SUCCESS = {"type": "object", "required": ["key", "reason", "variant"],
           "properties": {"key": {"type": "string"}, "value": {}, "reason": {"type": "string"},
                          "variant": {"type": "string"}, "metadata": {"type": "object"}}}
ERROR = {"type": "object", "required": ["errorCode"],
         "properties": {"key": {"type": "string"}, "errorCode": {"type": "string"}, "errorDetails": {"type": "string"}}}
BODY = {"content": {"application/json": {"schema": {"type": "object", "properties": {"context": {"type": "object"}}}}}}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


def respond(answer: flows.Answer):
    status, body, headers = answer
    response = jsonify(body)
    response.status_code = status
    for name, value in headers.items():
        response.headers[name] = value
    return response


def request_parts() -> dict:
    return {"api_key": request.headers.get("X-API-Key"), "authorization": request.headers.get("Authorization"),
            "remote_addr": request.remote_addr, "forwarded_for": request.headers.get("X-Forwarded-For"),
            "raw": request.get_data(cache=True)}


def machinery() -> tuple:
    return get_redis(), current_app.config, current_app.extensions["ofrep_limiter"], current_app.extensions["flag_cache"]


@bp.post("/ofrep/v1/evaluate/flags/<key>")
@audit.exempt("an OFREP evaluation is a read sent as a POST")
@bp.doc(summary="Evaluate one flag (OFREP)", responses={
    200: {"description": "evaluated", **_json(SUCCESS)}, 400: {"description": "bad context", **_json(ERROR)},
    401: {"description": "API key required", **_json(ERROR)}, 403: {"description": "bad API key", **_json(ERROR)},
    404: {"description": "no such flag", **_json(ERROR)}, 429: {"description": "rate limited", **_json(ERROR)}})
def evaluate_flag(key):
    return respond(flows.single(*machinery(), key, **request_parts()))


@bp.post("/ofrep/v1/evaluate/flags")
@audit.exempt("an OFREP evaluation is a read sent as a POST")
@bp.doc(summary="Evaluate every flag for a context, with an ETag (OFREP bulk)", responses={
    200: {"description": "evaluated", **_json({"type": "object", "properties": {"flags": {"type": "array"}}})},
    304: {"description": "nothing changed for this context"}, 400: {"description": "bad context", **_json(ERROR)},
    401: {"description": "API key required", **_json(ERROR)}, 403: {"description": "bad API key", **_json(ERROR)},
    429: {"description": "rate limited", **_json(ERROR)}})
def evaluate_all():
    r, config, limiter, cache = machinery()
    kind, context, failed = flows.prelude(r, config, limiter, None, **request_parts())
    if failed is not None:
        return respond(failed)
    version, flags, segments = cache.snapshot(r)
    # The answer depends only on the flags' version, the context and the key's kind.
    tag = hashlib.sha256(json.dumps([version, kind, context], sort_keys=True, default=str).encode()).hexdigest()[:32]
    etag = f'"{tag}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = current_app.response_class(status=304)
        response.headers["ETag"] = etag
        return response
    results = [flows.evaluate_one(key, flags, segments, context, kind)[1] for key in sorted(flags)]
    results = [item for item in results if item.get("errorCode") != "FLAG_NOT_FOUND"]
    # OFREP's flag set metadata: the version of the flags these answers come from.
    response = jsonify({"flags": results, "metadata": {"version": version}})
    response.headers["ETag"] = etag
    return response


@bp.get("/ofrep/v1/configuration")
@bp.doc(summary="OFREP provider configuration: polling interval, supported types (with an ETag)", responses={
    200: {"description": "configuration", **_json({"type": "object"})}, 304: {"description": "unchanged"},
    401: {"description": "API key required", **_json(ERROR)}, 403: {"description": "bad API key", **_json(ERROR)}})
def configuration():
    _, failed = flows.authorise(current_app.config["FLAGS_API_KEYS"], request.headers.get("X-API-Key"),
                                request.headers.get("Authorization"))
    if failed is not None:
        return respond(failed)
    body = flows.configuration(current_app.config)
    etag = '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32] + '"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = current_app.response_class(status=304)
    else:
        response = jsonify(body)
    response.headers["ETag"] = etag
    return response
