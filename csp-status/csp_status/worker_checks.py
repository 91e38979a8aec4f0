"""The check scheduler and the heartbeat sweeper.

Every second the scheduler records the checker's own heartbeat, DRYRUN (Bresse's DRYRUN.OK):
if the scheduler stops, DRYRUN stops being pinged and goes down like any late job, which alerts.

One asyncio loop per worker replica, three things on it, none waiting for another:
- claiming, about ten times a second: the checks due in ``checks-due`` (a sorted set by next run
  time) are claimed atomically, each claim moving the check's next run one interval on, so of
  several replicas exactly one runs each check once per interval (their ticks are jittered,
  so whoever looks first takes what just came due: the load is shared);
- probing: each claimed check starts as soon as one of the engine's slots is free, over one
  keep-alive session kept for the worker's life; a slow or timing-out check holds up no other;
- recording: the results gathered since the last tick go to Redis in one transaction.
At 50,000 checks a minute the old cycle (claim, run the batch, record each result with its own
WATCH transaction, sleep a second) fell behind on the per-result round trips: p99 11.6 s late.
"""
from __future__ import annotations

import asyncio
import collections
import gc
import logging
import random
import threading
import time
import uuid

from polystatus.clock import SystemClock
from polystatus.redis_store import connect

from . import settings
from .agents import service as agent_service
from .checks import engine, flows, rdap, storage
from .checks import service as check_service
from .heartbeats import flows as heartbeat_flows
from .heartbeats import service as heartbeat_service
from .heartbeats import storage as heartbeat_storage

log = logging.getLogger("csp_status.scheduler")
DRYRUN_ID = "00000000-0000-4000-8000-00000000d7a1"  # fixed: every replica pings the same one
RECORD_BATCH = 500  # results per transaction: a bounded WATCH, and a short one to retry


def ensure_dryrun(r) -> dict:
    heartbeat = heartbeat_storage.get(r, DRYRUN_ID)
    if heartbeat is None:
        heartbeat = {**heartbeat_service.DEFAULTS, "id": DRYRUN_ID, "name": "DRYRUN", "timeout": 60, "grace": 60}
        heartbeat_storage.save(r, heartbeat)
    return heartbeat


def ping_dryrun(r, config: dict, clock) -> None:
    scripts = heartbeat_storage.Scripts(r)
    heartbeat_flows.record(r, scripts, {**config, "CLOCK": clock}, ensure_dryrun(r), ok=True, source="scheduler")


def sweep(r, clock) -> int:
    return heartbeat_flows.sweep(r, heartbeat_storage.Scripts(r), clock.now())


def claim(r, now: float, limit: int) -> list[tuple[dict, float]]:
    """The due checks this replica won, with when each was due: claims and configs in three
    round trips whatever the number due. A claim moves the check to its next run, so another
    replica reading the same due list wins none of these."""
    found, gone = storage.due_with_configs(r, now, limit)
    storage.forget_due(r, gone)
    won = storage.claim_many(r, [(check["id"], due, check_service.next_due(due=due, now=now,
                                                                           interval=check.get("interval", 60)),
                                  _recorded_by(check, now)) for check, due in found])
    return [(check, due) for check, due in found if check["id"] in won and agent_service.runs_in(check, "local")]


def _recorded_by(check: dict, now: float) -> float:
    if not agent_service.runs_in(check, "local"):
        return 0  # an agent's check: nothing for a replica to take over
    return check_service.recorded_by(claimed_at=now, timeout=check.get("timeout", 10))


def take_abandoned(r, now: float, limit: int) -> list[dict]:
    """The runs claimed by a replica that died before recording them, to run now (late, but
    in their interval): the slowest a run may take is the schema's longest timeout."""
    return storage.take_abandoned(r, now, check_service.recorded_by(claimed_at=now, timeout=60), limit)


def record(r, runs: list[tuple[dict, dict, object]]) -> None:
    for start in range(0, len(runs), RECORD_BATCH):
        flows.record_many(r, runs[start:start + RECORD_BATCH])


def cycle(r, config: dict, clock, checks_engine: engine.Engine, *, limit: int = 5000) -> dict:
    """One pass, start to end (tests, one-off runs): DRYRUN, claim what is due, run it, record."""
    now = clock.now()
    ping_dryrun(r, config, clock)
    claimed = claim(r, now.timestamp(), limit)
    due = [check for check, _ in claimed]
    results = checks_engine.run(due, now) if due else []
    record(r, [(check, result, now) for check, result in zip(due, results, strict=True)])
    return {"ran": len(due), "flipped": sweep(r, clock), "lags": [now.timestamp() - at for _, at in claimed]}


class Scheduler:
    """One replica's scheduler (see the module's docstring). ``serve(stop)`` runs it until
    ``stop`` is set, then lets the checks started finish and records them. ``ran`` counts the
    runs recorded; ``lags`` keeps how late each recent run started (its real start, once a
    runner took it), as (due at, seconds late), for whoever measures the scheduler."""

    def __init__(self, r, config: dict, clock, checks_engine: engine.Engine, *, tick_s: float = 0.1,
                 limit: int = 5000, lags_kept: int = 10_000):
        self.r, self.config, self.clock, self.engine = r, config, clock, checks_engine
        self.tick_s, self.limit = tick_s, limit
        self.ran = 0
        self.ticks = 0
        self.lags: collections.deque[tuple[float, float]] = collections.deque(maxlen=lags_kept)
        self.queue: asyncio.Queue | None = None  # claimed (check, due), for the runners
        self.running = 0
        self.pending: list[tuple[dict, dict, object]] = []
        self.claiming = self.recording = False
        self.warned_at = 0.0

    @property
    def busy(self) -> bool:
        """Checks claimed and not yet recorded."""
        queued = self.queue is not None and not self.queue.empty()
        return bool(self.claiming or queued or self.running or self.pending or self.recording)

    async def serve(self, stop: threading.Event) -> None:
        self.queue = asyncio.Queue()
        async with self.engine.open() as probe:
            runners = [asyncio.create_task(self._runner(probe)) for _ in range(self.engine.concurrency)]
            recorder = asyncio.create_task(self._record_loop(stop))
            beat_at = None
            while not stop.is_set():
                try:
                    if beat_at is None or time.monotonic() - beat_at >= 1:
                        beat_at = time.monotonic()
                        await asyncio.to_thread(self._beat)
                    now = self.clock.now().timestamp()
                    self.claiming = True
                    # No more claimed than the runners will start soon: a replica that falls
                    # behind leaves what is due to the others (and holds no backlog in memory).
                    room = min(self.limit, 2 * self.engine.concurrency - self.queue.qsize())
                    claimed, abandoned = await asyncio.to_thread(self._claim, now, room)
                except Exception:
                    self.claiming = False
                    log.exception("scheduler tick failed; retrying")
                    await asyncio.sleep(1)
                    continue
                # A run taken over from a killed replica has no due time: its lag is not the schedule's.
                for item in [*claimed, *((check, None) for check in abandoned)]:
                    self.queue.put_nowait(item)
                self.claiming = False
                self._warn_if_late(claimed, now)
                self.ticks += 1
                # Jittered, so two replicas do not look at the same moment and race for every check.
                await asyncio.sleep(self.tick_s * random.uniform(0.5, 1.5))  # noqa: S311 (not a secret)
            await self.queue.join()  # what was claimed is run and recorded before the loop ends
            await recorder
            for runner in runners:
                runner.cancel()

    def _claim(self, now: float, room: int) -> tuple[list[tuple[dict, float]], list[dict]]:
        if room <= 0:
            return [], []
        claimed = claim(self.r, now, room)
        abandoned = take_abandoned(self.r, now, room)
        if abandoned:
            log.warning("running %d checks claimed by a replica that stopped before recording them", len(abandoned))
        return claimed, abandoned

    def _beat(self) -> None:
        ping_dryrun(self.r, self.config, self.clock)
        sweep(self.r, self.clock)

    async def _runner(self, probe) -> None:
        while True:
            check, due = await self.queue.get()
            self.running += 1
            try:
                now = self.clock.now()
                if due is not None:
                    self.lags.append((due, now.timestamp() - due))
                result = await probe(check, now)
                self.pending.append((check, result, now))  # the list as it is after the run: the recorder swaps it
            except Exception:  # the engine gives every check a verdict; this is a bug, not a down check
                log.exception("check %s could not be run", check["id"])
            finally:
                self.running -= 1
                self.queue.task_done()

    async def _record_loop(self, stop: threading.Event) -> None:
        while not (stop.is_set() and self.queue.empty() and not self.running and not self.pending):
            await asyncio.sleep(self.tick_s)
            if not self.pending:
                continue
            batch, self.pending = self.pending, []
            self.recording = True
            try:
                await asyncio.to_thread(record, self.r, batch)
                self.ran += len(batch)
            except Exception:
                if stop.is_set():
                    log.exception("stopping: %d results could not be recorded", len(batch))
                    return
                log.exception("recording %d results failed; retrying", len(batch))
                self.pending = batch + self.pending
                await asyncio.sleep(1)
            finally:
                self.recording = False

    def _warn_if_late(self, claimed: list, now: float) -> None:
        worst = max((now - due for _, due in claimed if due is not None), default=0)
        if worst > 30 and time.monotonic() - self.warned_at > 60:
            self.warned_at = time.monotonic()
            log.warning("checks start late: %d claimed, worst %.1f s behind schedule", len(claimed), worst)


def apply_config_file(r, config: dict, clock) -> None:
    path = config.get("CHECKS_CONFIG")
    if not path:
        return
    from . import config_apply

    with open(path, encoding="utf-8") as handle:
        outcome = config_apply.apply(r, handle.read(), clock.now(), config)
    log.info("applied %s: %s", path, outcome)


def make_engine(config: dict) -> engine.Engine:
    return engine.Engine(concurrency=config["CHECK_CONCURRENCY"], allow_private=config["CSP_ALLOW_PRIVATE_TARGETS"],
                         domains=rdap.DomainExpiry(config["RDAP_BOOTSTRAP_URL"]),
                         blocking_concurrency=config["CHECK_BLOCKING_CONCURRENCY"],
                         secrets_key=config["CHECK_SECRETS_KEY"])


def settle_heap() -> None:
    """What was loaded at start (modules, settings) lives as long as the process: frozen, a full
    collection of the garbage collector no longer walks it. Each one stopped the scheduler for
    0.2-1.7 s, about every 3 s at 50,000 checks a minute (bench/checks_engine.py counts them).

    A run allocates a few hundred objects that die with it, and a hundred runs are in flight:
    at Python's default (a young collection every 700 allocations) most of them were caught
    alive, walked, and moved to older generations that only a full collection frees. Collecting
    the young every 50,000 allocations lets them die by reference count first: 10-15 % less
    CPU per run in process (0.75-0.83 -> 0.65-0.71 ms at load average 9-12)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def run(stop: threading.Event, config: dict | None = None, clock=None) -> None:
    config = config or settings.load()
    clock = clock or SystemClock()
    r = connect(config["REDIS_URL"])
    apply_config_file(r, config, clock)
    checks_engine = make_engine(config)
    log.info("scheduler %s started", uuid.uuid4().hex[:8])
    settle_heap()
    try:
        asyncio.run(Scheduler(r, config, clock, checks_engine).serve(stop))
    finally:
        checks_engine.close()
