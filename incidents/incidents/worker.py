"""incidents background work: `python -m incidents.worker`.

- the maintenance clock (start/complete on time), the auto-incident tick and the reports
  evaluator, every few seconds, under a Redis lease so one replica of N runs them;
- the consumer of csp-status's events (check.status_changed);
- trimming of our own event stream.
"""
from __future__ import annotations

import os
import socket
import sys
import threading

from polystatus import events, leases
from polystatus.clock import SystemClock
from polystatus.redis_store import connect
from polystatus.runner import run_loops

from . import settings
from .automation import flows as automation
from .maintenances import flows as maintenances
from .reports import flows as reports

TICK_S = 5


def make_loops(config: dict, clock=None):
    clock = clock or SystemClock()
    r = connect(config["REDIS_URL"])
    owner = f"{socket.gethostname()}-{os.getpid()}"

    def periodic(stop: threading.Event) -> None:
        while not stop.is_set():
            if leases.acquire(r, "incidents-tick", owner, TICK_S * 1000 - 500):
                now = clock.now()
                maintenances.tick(r, config, now)
                automation.tick(r, config, now)
                reports.evaluate(r, now)
                if int(now.timestamp()) % 3600 < TICK_S:
                    events.trim(r, events.stream_key("incidents"), config["EVENTS_MAX_AGE_DAYS"] * 86400)
            stop.wait(TICK_S)

    def consume(stop: threading.Event) -> None:
        consumer = events.Consumer(
            source=connect(config["CSP_STATUS_EVENTS_URL"]), stream=events.stream_key("csp-status"),
            group="incidents", own=r, name=f"incidents-{socket.gethostname()}",
            handler=lambda event, pipe: automation.handle_check_event(r, event, clock.now()),
            types={"check.status_changed"},
        )
        consumer.run(stop)

    return {"periodic": periodic, "check-events": consume}


def main() -> int:
    return run_loops("incidents", make_loops(settings.load()))


if __name__ == "__main__":
    sys.exit(main())
