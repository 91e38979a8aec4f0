"""Vantage-point agents: the rules, no I/O.

An agent is a process on some other network (``python -m csp_status.agent``) that runs the
checks assigned to its region and posts the results. It authenticates with a bearer token
bound to one region, so a leaked token can only speak for that region, and revoking it is
deleting one key. Tokens are stored as SHA-256 hashes: they are long random strings, so a slow
password hash would buy nothing and cost every request.

Which checks an agent runs: a check with an empty ``run_in`` runs everywhere (the server's own
scheduler is the region ``local``); a check with ``run_in`` runs only in the regions listed.

How regions combine is the quorum rule of ``checks.service.quorum_state``.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime

TOKEN_PREFIX = "psa_"  # noqa: S105 (a prefix so leaked tokens are recognisable, not a secret)
# A result older than this many intervals is history, not news: it is kept in the results and
# the daily uptime, but it does not move the check's state (an agent back from a network cut
# replays its buffer; the state must follow what is true now).
STALE_INTERVALS = 2
# An agent's clock may be a little ahead; further ahead than this is refused, not trusted.
FUTURE_SKEW_S = 120


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def runs_in(check: dict, region: str) -> bool:
    regions = check.get("run_in") or []
    return not regions or region in regions


def assignment(check: dict) -> dict:
    """What an agent needs to run a check (it is trusted with the check's headers, token and DSN
    password: ``check`` is the runnable one, its password unsealed; or the agent reads the
    password from its own environment, ``password_env``)."""
    keep = ("id", "name", "kind", "url", "host", "port", "expect", "server", "query_type", "method", "headers",
            "bearer_token", "body", "insecure", "timeout", "interval", "conditions", "field", "max_age",
            "dsn", "dsn_error", "password_env", "query", "command", "packets", "expiry_warning_days", "watch_domain")
    return {key: check[key] for key in keep if check.get(key) is not None}


def assignments_etag(region: str, checks: list[dict], allow_private) -> str:
    digest = hashlib.sha256(json.dumps([region, allow_private, checks], sort_keys=True).encode()).hexdigest()
    return f'"{digest[:32]}"'


def classify(result_at: datetime, now: datetime, interval: int) -> str:
    """``future`` (refused), ``stale`` (history only) or ``fresh`` (moves the state)."""
    age = now.timestamp() - result_at.timestamp()
    if age < -FUTURE_SKEW_S:
        return "future"
    if age > STALE_INTERVALS * max(60, interval):
        return "stale"
    return "fresh"


def dedup_key(agent_id: str, result_id: str) -> str:
    return f"agent-result:{agent_id}:{result_id}"
