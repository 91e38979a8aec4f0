"""The check scheduler and the heartbeat sweeper.

Every cycle first records the checker's own heartbeat, DRYRUN (Bresse's DRYRUN.OK): if the
scheduler stops, DRYRUN stops being pinged and goes down like any late job, which alerts.
Due checks are claimed atomically (several scheduler replicas never run one twice) and run
together on the asynchronous engine.
"""
from __future__ import annotations

import logging
import threading
import uuid

from polystatus.clock import SystemClock
from polystatus.redis_store import connect

from . import settings
from .agents import service as agent_service
from .checks import engine, flows, storage
from .heartbeats import flows as heartbeat_flows
from .heartbeats import storage as heartbeat_storage

log = logging.getLogger("csp_status.scheduler")
DRYRUN_ID = "00000000-0000-4000-8000-00000000d7a1"  # fixed: every replica pings the same one


def ensure_dryrun(r) -> dict:
    heartbeat = heartbeat_storage.get(r, DRYRUN_ID)
    if heartbeat is None:
        heartbeat = {"id": DRYRUN_ID, "name": "DRYRUN", "timeout": 60, "schedule": None, "tz": "UTC", "grace": 60,
                     "component_ids": [], "paused": False, "retired": False, "app_id": None}
        heartbeat_storage.save(r, heartbeat)
    return heartbeat


def cycle(r, config: dict, clock, checks_engine: engine.Engine, *, limit: int = 5000) -> dict:
    now = clock.now()
    heartbeat_flows.ping(r, ensure_dryrun(r), "success", now, source="scheduler")
    # Claims and configs in three round trips whatever the number due: at 10,000 checks a
    # minute, per-check round trips were what made the scheduler fall behind.
    found, gone = storage.due_with_configs(r, now.timestamp(), limit)
    if gone:
        r.zrem("checks-due", *gone)
    won = storage.claim_many(r, [(c["id"], score, now.timestamp() + c.get("interval", 60)) for c, score in found])
    due, lags = [], []
    for check, score in found:
        if check["id"] in won and agent_service.runs_in(check, "local"):
            due.append(check)
            lags.append(now.timestamp() - score)  # how late the check starts: the scheduler's health
    results = checks_engine.run(due, now) if due else []
    for check, result in zip(due, results, strict=True):
        flows.record(r, check, result, now)
    flipped = heartbeat_flows.sweep(r, clock.now())
    if lags and max(lags) > 30:
        log.warning("checks start late: %d ran, worst %.1f s behind schedule", len(due), max(lags))
    return {"ran": len(due), "flipped": flipped, "lags": lags}


def apply_config_file(r, config: dict, clock) -> None:
    path = config.get("CHECKS_CONFIG")
    if not path:
        return
    from . import config_apply

    with open(path, encoding="utf-8") as handle:
        outcome = config_apply.apply(r, handle.read(), clock.now(), config)
    log.info("applied %s: %s", path, outcome)


def run(stop: threading.Event, config: dict | None = None, clock=None) -> None:
    config = config or settings.load()
    clock = clock or SystemClock()
    r = connect(config["REDIS_URL"])
    apply_config_file(r, config, clock)
    checks_engine = engine.Engine(concurrency=config["CHECK_CONCURRENCY"],
                                  allow_private=config["CSP_ALLOW_PRIVATE_TARGETS"])
    log.info("scheduler %s started", uuid.uuid4().hex[:8])
    while not stop.is_set():
        try:
            cycle(r, config, clock, checks_engine)
        except Exception:
            log.exception("scheduler cycle failed; retrying")
        stop.wait(1)
