"""feature-flags background work: `python -m feature_flags.worker` (trims the event stream)."""
from __future__ import annotations

import os
import socket
import sys
import threading

from polystatus import events, leases
from polystatus.redis_store import connect
from polystatus.runner import run_loops

from . import settings


def main() -> int:
    config = settings.load()
    r = connect(config["REDIS_URL"])
    owner = f"{socket.gethostname()}-{os.getpid()}"

    def trim(stop: threading.Event) -> None:
        while not stop.is_set():
            if leases.acquire(r, "flags-trim", owner, 3_500_000):
                events.trim(r, events.stream_key("feature-flags"), 30 * 86400)
            stop.wait(60)

    return run_loops("feature-flags", {"trim": trim})


if __name__ == "__main__":
    sys.exit(main())
