"""Running a service's background loops (``python -m <pkg>.worker``).

Each loop is a function taking a ``threading.Event`` and returning when it is set. The runner
configures logs, turns SIGTERM/SIGINT into that event, runs every loop in its own thread, and
touches an "alive" file (``WORKER_ALIVE_FILE``, default /tmp/worker-alive) so a container
healthcheck can tell a hung worker from a working one. A loop that stops on a Redis connection
error is started again after a backoff (Redis restarting is a pause); if a loop dies of anything
else, the process exits non-zero and the process manager restarts it: a half-working worker is
worse than none.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable

import redis

from . import error_reports, logs, settings

log = logging.getLogger("polystatus.runner")


def run_loops(service: str, loops: dict[str, Callable[[threading.Event], None]], *,
              level: str | None = None, fmt: str | None = None) -> int:
    logs.configure(f"{service}-worker", level or os.environ.get("LOG_LEVEL", "INFO").upper(),
                   fmt or os.environ.get("LOG_FORMAT", "json"))
    # A crashed loop is logged with its traceback below: with SENTRY_DSN set, that is an event.
    reports = error_reports.init_worker(service, settings.sentry(os.environ))
    stop = threading.Event()
    alive_file = os.environ.get("WORKER_ALIVE_FILE", "/tmp/worker-alive")  # noqa: S108 (healthcheck file)

    def on_signal(signum, _frame):
        log.info("stopping (signal %s)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    failed: list[str] = []

    def guard(name, loop):
        backoff = 0.5
        while not stop.is_set():
            started = time.monotonic()
            try:
                loop(stop)
                return
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                # Redis restarting is a pause, not a bug: wait for it rather than exit and
                # rely on a supervisor (the loops are restartable from scratch).
                if time.monotonic() - started > 60:
                    backoff = 0.5
                log.warning("loop %s: redis unavailable (%s); starting it again in %.1f s", name, exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 15)
            except Exception:
                log.exception("loop %s crashed; stopping the worker so it is restarted", name)
                failed.append(name)
                stop.set()
                return

    threads = [threading.Thread(target=guard, args=(name, loop), name=name, daemon=True)
               for name, loop in loops.items()]
    for thread in threads:
        thread.start()
    log.info("worker started: %s", ", ".join(loops))
    while not stop.wait(5):
        try:
            with open(alive_file, "w") as handle:
                handle.write(str(time.time()))
        except OSError:
            pass
    for thread in threads:
        thread.join(15)
    error_reports.finish(reports)
    return 1 if failed else 0
