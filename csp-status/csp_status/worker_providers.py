"""The provider poller loop: each due provider is polled by exactly one worker replica
(a Redis lease per provider and interval), with a per-host concurrency limit."""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from polystatus import leases
from polystatus.clock import SystemClock
from polystatus.redis_store import connect

from . import settings
from .providers import flows

log = logging.getLogger("csp_status.poller")


def poll_due(r, config: dict, clock, owner: str, pool: ThreadPoolExecutor) -> int:
    now = clock.now()
    by_host: dict[str, list[dict]] = defaultdict(list)
    for provider in flows.due(r, now.timestamp()):
        if leases.acquire(r, f"poll:{provider['id']}", owner, 60_000):
            by_host[urlparse(provider["url"]).hostname or ""].append(provider)

    def run_host(providers: list[dict]) -> None:
        # One host's providers run one after the other (concurrency 1 per host by default is
        # polite to status pages and plenty for a 5-minute interval).
        for provider in providers:
            try:
                flows.poll(r, provider, clock.now(), allow_private=config["CSP_ALLOW_PRIVATE_TARGETS"],
                           grace_s=config["PROVIDER_UNKNOWN_AFTER"], timeout=config["PROVIDER_TIMEOUT"])
            except Exception:
                log.exception("polling %s failed unexpectedly", provider["name"])
            finally:
                leases.release(r, f"poll:{provider['id']}", owner)

    futures = [pool.submit(run_host, providers) for providers in by_host.values()]
    for future in futures:
        future.result()
    return sum(len(p) for p in by_host.values())


def run(stop: threading.Event, config: dict | None = None, clock=None) -> None:
    config = config or settings.load()
    clock = clock or SystemClock()
    r = connect(config["REDIS_URL"])
    owner = f"{socket.gethostname()}-{os.getpid()}"
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="poll") as pool:
        while not stop.is_set():
            poll_due(r, config, clock, owner, pool)
            stop.wait(2)
