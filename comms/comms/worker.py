"""comms background work: `python -m comms.worker`.

- consumers of incidents', csp-status's and users' events, planning deliveries;
- the delivery loop (send, retry with backoff, dead-letter) and alert reminders;
- the CHANNELS_CONFIG file, applied once at start (every replica may: declared channels have
  ids derived from their names, so applying twice writes the same thing).
Consumers are named after the host, so a restarted worker takes its own pending entries
back at once; entries of a worker that died elsewhere are reclaimed after 30 s.
"""
from __future__ import annotations

import logging
import os
import socket
import sys
import threading

from polystatus import events
from polystatus.audit import EVENT_TYPE as AUDIT_EVENT
from polystatus.clock import SystemClock
from polystatus.redis_store import connect
from polystatus.runner import run_loops

from . import config_file, settings
from .channels import flows as channel_flows
from .deliveries import flows
from .deliveries import storage as delivery_storage
from .deliveries.people import People

log = logging.getLogger("comms.worker")

STREAMS = [("INCIDENTS_EVENTS_URL", "incidents", None),
           ("CSP_STATUS_EVENTS_URL", "csp-status", {"check.status_changed", "check.expiry_warning"}),
           ("USERS_EVENTS_URL", "users", {"user.deleted"})]


def make_loops(config: dict, clock=None, *, consumer_name: str | None = None):
    clock = clock or SystemClock()
    r = connect(config["REDIS_URL"])
    people = People(config["USERS_URL"], config["SERVICE_CLIENT_ID"], config["SERVICE_CLIENT_SECRET"],
                    timeout=config["OUTBOUND_TIMEOUT"])
    name = consumer_name or f"comms-{socket.gethostname()}"

    def handler(event, pipe):
        if event.type == AUDIT_EVENT:
            return  # the audit trail is users' (users.worker); nobody is notified of it
        if event.type == "user.deleted":
            return  # their address is gone from users; planned deliveries already carry it
        flows.plan(r, config, event, pipe, people, clock.now())

    def consumer(url_key, service, types):
        def loop(stop: threading.Event) -> None:
            events.Consumer(source=connect(config[url_key]), stream=events.stream_key(service), group="comms", own=r,
                            handler=handler, name=name, types=types).run(stop)
        return loop

    def deliver(stop: threading.Event) -> None:
        # A Redis outage ends this loop; polystatus.runner starts it again after a backoff, and
        # this start-up step runs again then (harmless: it only releases locks nobody holds).
        owner = f"{name}-{os.getpid()}"
        # Locks left by a crashed worker of this host (its pid is gone, or is ours after a
        # container restart): take its deliveries over now.
        released = delivery_storage.release_locks(r, f"{name}-", lambda pid: pid == os.getpid()
                                                  or not process_alive(pid))
        if released:
            log.info("took over %d deliveries claimed by a stopped worker", released)
        while not stop.is_set():
            now = clock.now()
            flows.repeat_alerts(r, config, now)
            counts = flows.deliver_due(r, config, now, owner)
            if not any(counts.values()):
                stop.wait(1)

    def channels_config(stop: threading.Event) -> None:
        path = config.get("CHANNELS_CONFIG")
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        try:
            outcome = channel_flows.apply_config(r, text, read_secret=settings.channel_url)
        except config_file.ConfigError as exc:
            # Not retried: the file will not fix itself; POST /config/reload after editing it.
            log.error("%s not applied: %s %s", path, exc.message, exc.details)
        else:
            log.info("applied %s: %s", path, outcome)
        stop.wait()

    loops = {f"events-{service}": consumer(key, service, types) for key, service, types in STREAMS}
    loops["deliveries"] = deliver
    if config.get("CHANNELS_CONFIG"):
        loops["channels-config"] = channels_config
    return loops


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def main() -> int:
    return run_loops("comms", make_loops(settings.load()))


if __name__ == "__main__":
    sys.exit(main())
