"""users background work: `python -m users.worker`.

The audit trail's consumer. Every service publishes an ``audit.recorded`` event for each write
(polystatus.audit) on its own stream; one consumer group, ``audit``, reads all five and keeps
the entries here. Why users keeps the trail: it is a record of what *people* (and their keys
and services' accounts) did, its readers are admins, and the identities in it (ids, emails)
are users' own data, so personal data stays in the one service that owns it.
"""
from __future__ import annotations

import socket
import sys
import threading

from polystatus import events
from polystatus.audit import EVENT_TYPE
from polystatus.clock import SystemClock
from polystatus.redis_store import connect
from polystatus.runner import run_loops

from . import settings
from .audit import flows

STREAMS = [("INCIDENTS_EVENTS_URL", "incidents"), ("REDIS_URL", "users"), ("COMMS_EVENTS_URL", "comms"),
           ("CSP_STATUS_EVENTS_URL", "csp-status"), ("FEATURE_FLAGS_EVENTS_URL", "feature-flags")]


def make_loops(config: dict, clock=None, *, consumer_name: str | None = None):
    clock = clock or SystemClock()
    r = connect(config["REDIS_URL"])
    name = consumer_name or f"users-{socket.gethostname()}"

    def handler(event, pipe):
        flows.keep(event=event, pipe=pipe, now_ms=int(clock.now().timestamp() * 1000),
                   retention_days=config["AUDIT_RETENTION_DAYS"])

    def consumer(url_key, service):
        def loop(stop: threading.Event) -> None:
            source = r if url_key == "REDIS_URL" else connect(config[url_key])
            events.Consumer(source=source, stream=events.stream_key(service), group="audit", own=r,
                            handler=handler, name=name, types={EVENT_TYPE}).run(stop)
        return loop

    return {f"audit-{service}": consumer(key, service) for key, service in STREAMS}


def main() -> int:
    return run_loops("users", make_loops(settings.load()))


if __name__ == "__main__":
    sys.exit(main())
