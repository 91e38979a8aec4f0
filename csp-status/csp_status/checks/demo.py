"""Demo checks of every kind against the simulator, linked to the demo components."""
from __future__ import annotations

import secrets
import time
import uuid
from urllib.parse import urlparse

import redis

from ..heartbeats import storage as heartbeat_storage
from . import service, storage


def _redis_dsn(r: redis.Redis) -> str:
    """The Redis the demo runs on, as a redis check's DSN (no password: the launcher's own)."""
    options = r.connection_pool.connection_kwargs
    return f"redis://{options.get('host', '127.0.0.1')}:{options.get('port', 6379)}/{options.get('db', 0)}"


def load_demo(r: redis.Redis, simulator_url: str) -> int:
    host = urlparse(simulator_url)
    checks = [
        {"name": "Website - simulated", "kind": "assertions", "url": f"{simulator_url}/sim/always-up", "interval": 30,
         "conditions": ["[STATUS] == 200", "[BODY].status == \"ok\"", "[RESPONSE_TIME] < 1000"], "component_ids": ["web"]},
        {"name": "Flaky API", "kind": "assertions", "url": f"{simulator_url}/sim/flaky", "interval": 30,
         "conditions": ["[STATUS] == 200"], "component_ids": ["api"]},
        {"name": "Data freshness", "kind": "freshness", "url": f"{simulator_url}/sim/stale-time", "interval": 30,
         "field": "computed_time", "max_age": 120},
        {"name": "Invoice export task", "kind": "task", "url": f"{simulator_url}/sim/task", "interval": 60},
        {"name": "Simulator TCP", "kind": "tcp", "host": host.hostname, "port": host.port or 80, "interval": 60},
        {"name": "DNS localhost", "kind": "dns", "host": "localhost", "interval": 300},
        # a datastore asked for a data (Bresse): the demo's own Redis, which answers PING
        {"name": "Cache - demo Redis", "kind": "redis", "dsn": _redis_dsn(r), "command": "PING",
         "conditions": ["[RESULT] == PONG", "[RESPONSE_TIME] < 500ms"], "interval": 60},
        {"name": "Loopback ping", "kind": "icmp", "host": "127.0.0.1", "packets": 3, "interval": 60,
         "conditions": ["[PACKET_LOSS] < 50", "[RESPONSE_TIME] < 100ms"]},
    ]
    added = 0
    for data in checks:
        if storage.by_name(r, data["name"]):
            continue
        defaults = {"method": "GET", "headers": {}, "timeout": 5, "fail_threshold": 2, "success_threshold": 1}
        service.check_rules(data)  # the demo's checks pass the rules every agent applies
        storage.save(r, {"id": secrets.token_hex(6), **defaults, **data}, next_run=time.time())
        added += 1
    if not any(h["name"] == "backup-job" for h in heartbeat_storage.all_heartbeats(r)):
        heartbeat_storage.save(r, {"id": str(uuid.uuid4()), "name": "backup-job", "timeout": 86400, "schedule": None,
                                   "tz": "UTC", "grace": 3600, "component_ids": [], "paused": False, "retired": False,
                                   "app_id": None})
    return added
