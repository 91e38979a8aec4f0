"""`python -m comms.mailcatcher --port 2525 --dir var/mail`: the development mail catcher."""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from .mail.catcher import start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    controller = start(args.dir, args.host, args.port)
    print(f"mail catcher on smtp://{args.host}:{args.port}, messages in {args.dir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
