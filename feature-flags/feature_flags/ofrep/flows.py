"""An OFREP evaluation, from the request's parts to (status, body, headers), without Flask:
the Flask routes and the fast transport (polystatus.fastpath) both answer with it, so the
protocol's rules live here once."""
from __future__ import annotations

import hmac
import json

from polystatus import ratelimits

from ..flags import service

Answer = tuple[int, dict, dict]


def error(status: int, code: str, details: str, key: str | None = None, headers: dict | None = None) -> Answer:
    body = {"errorCode": code, "errorDetails": details}
    if key is not None:
        body = {"key": key, **body}
    return status, body, headers or {}


def authorise(keys: dict, api_key: str | None, authorization: str | None) -> tuple[str | None, Answer | None]:
    """(the key's kind, or None when keys are not required; or an error answer)."""
    if not keys:
        return None, None
    given = api_key or (authorization or "").removeprefix("Bearer ").strip()
    if not given:
        return None, error(401, "GENERAL", "An API key is required (X-API-Key or Authorization: Bearer).")
    for known, kind in keys.items():
        if hmac.compare_digest(known.encode(), given.encode()):
            return kind, None
    return None, error(403, "GENERAL", "This API key is not valid.")


def read_context(raw: bytes, key: str | None) -> tuple[dict | None, Answer | None]:
    if not raw:
        return {}, None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, error(400, "PARSE_ERROR", "The body is not valid JSON.", key)
    context = body.get("context", {}) if isinstance(body, dict) else None
    if not isinstance(context, dict):
        return None, error(400, "INVALID_CONTEXT", "`context` must be an object.", key)
    return context, None


def prelude(r, config: dict, limiter, key: str | None, *, api_key: str | None, authorization: str | None,
            remote_addr: str | None, forwarded_for: str | None, raw: bytes):
    """Authorise, rate limit, read the context: (kind, context, error answer or None)."""
    kind, failed = authorise(config["FLAGS_API_KEYS"], api_key, authorization)
    if failed is not None:
        return None, None, failed
    address = ratelimits.client_address(remote_addr, forwarded_for, config["TRUSTED_PROXIES"])
    # SDKs evaluate on every page view: the limit is reserved in chunks, not a round trip each.
    allowed, retry = limiter.hit(r, f"ofrep:{address}", config["OFREP_RATE_LIMIT"], 60, now=config["CLOCK"].now().timestamp())
    if not allowed:
        return None, None, error(429, "GENERAL", "Too many evaluations.", key, {"Retry-After": str(retry)})
    context, failed = read_context(raw, key)
    return kind, context, failed


def evaluate_one(key: str, flags: dict, segments: dict, context: dict, kind: str | None) -> tuple[int, dict]:
    flag = flags.get(key)
    if flag is None or (kind == "client" and not flag.get("client_visible")):
        return 404, {"key": key, "errorCode": "FLAG_NOT_FOUND", "errorDetails": f"No flag {key!r}."}
    try:
        return 200, {"key": key, **service.evaluate(flag, context, segments)}
    except service.EvaluationError as exc:
        return 400, {"key": key, "errorCode": exc.code, "errorDetails": exc.details}


def single(r, config: dict, limiter, cache, key: str, **request_parts) -> Answer:
    """``POST /ofrep/v1/evaluate/flags/{key}``."""
    kind, context, failed = prelude(r, config, limiter, key, **request_parts)
    if failed is not None:
        return failed
    _, flags, segments = cache.snapshot(r)
    status, body = evaluate_one(key, flags, segments, context, kind)
    return status, body, {}


def configuration(config: dict) -> dict:
    """What ``GET /ofrep/v1/configuration`` told providers, in the shape OFREP defined before it
    dropped the endpoint in 2025 (providers of that time ask it; today's ignore it): how often
    polling is worth it (a change reaches every replica within FLAG_CACHE_S) and which types
    are served."""
    return {"name": "PolyStatus feature-flags",
            "capabilities": {
                "cacheInvalidation": {"polling": {"enabled": True,
                                                  "minPollingIntervalMs": max(1000, int(config["FLAG_CACHE_S"] * 1000))}},
                "flagEvaluation": {"supportedTypes": ["boolean", "string", "int", "float", "object"]},
                "caching": {"enabled": False}}}
