"""The demo's own agent (region ``agent-1``): its token goes to the file the launcher's agent
process waits for, so the demo shows two regions (``local`` and ``agent-1``) on every check."""
from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime

import redis
from polystatus.clock import isoformat

from . import service, storage

REGION = "agent-1"


def load_demo(r: redis.Redis, token_file: str | None) -> str:
    if not token_file:
        return "no token file"
    try:
        with open(token_file) as handle:
            existing = handle.read().strip()
    except OSError:
        existing = ""
    if existing and storage.by_token_hash(r, service.token_hash(existing)):
        return f"agent for {REGION} already registered"
    token = service.new_token()
    storage.save(r, {"id": secrets.token_hex(6), "region": REGION, "name": "demo agent (launcher)",
                     "token_hash": service.token_hash(token), "created_at": isoformat(datetime.now(UTC))})
    descriptor = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token + "\n")
    return f"agent for {REGION} registered, token in {token_file}"
