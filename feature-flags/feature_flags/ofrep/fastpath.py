"""``POST /ofrep/v1/evaluate/flags/{key}`` on the fast transport (polystatus.fastpath): SDKs
call it on every page view. Same rules as the Flask route (ofrep.flows.single)."""
from __future__ import annotations

from . import flows

PREFIX = "/ofrep/v1/evaluate/flags/"  # the Flask rule's static start: the key follows it


def install(fast, app) -> None:
    r, config = app.extensions["redis"], app.config
    limiter, cache = app.extensions["ofrep_limiter"], app.extensions["flag_cache"]

    def evaluate(request):
        key = request.path[len(PREFIX):]
        raw = request.body()
        if not key or "/" in key or raw is None:
            return None
        status, body, headers = flows.single(
            r, config, limiter, cache, key, api_key=request.header("X-API-Key"),
            authorization=request.header("Authorization"), remote_addr=request.remote_addr,
            forwarded_for=request.header("X-Forwarded-For"), raw=raw)
        return request.json_answer(status, body, headers)

    # An evaluation changes nothing but the rate limiter's count: a failure is handed to Flask.
    fast.add("ofrep.evaluate_flag", evaluate, access="api-key", writes=False)
