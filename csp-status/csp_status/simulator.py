"""A mock server for demos and tests (Server Status Check's mock_server, grown up):
`python -m csp_status.simulator --port 5099 [--fixtures DIR]`.

- /sim/always-up            200 {"status": "ok"}
- /sim/flaky                500 for 2 minutes in every 10, else 200
- /sim/stale-time           {"computed_time": ...} that stops moving 4 minutes in every 15
- /sim/task                 Py Pinger's task contract; reports an error 2 minutes in every 20
- /sim/slow?seconds=2       answers after a delay (at most 10 s)
- /fixtures/<path>          files of the fixtures directory (captured provider payloads)

Time comes from a clock so tests can drive the phases.
"""
from __future__ import annotations

import argparse
import mimetypes
import os
import sys
import time
from datetime import UTC, datetime, timedelta

from flask import Flask, abort, jsonify, request, send_file
from polystatus.clock import SystemClock

TYPES = {".json": "application/json", ".xml": "application/rss+xml"}


def create_app(fixtures: str | None = None, clock=None) -> Flask:
    app = Flask(__name__)
    clock = clock or SystemClock()

    def minute() -> int:
        return int(clock.now().timestamp() // 60)

    @app.get("/sim/always-up")
    def always_up():
        return {"status": "ok", "at": clock.now().isoformat()}

    @app.get("/sim/flaky")
    def flaky():
        if minute() % 10 < 2:
            return {"status": "error", "reason": "simulated outage"}, 500
        return {"status": "ok"}

    @app.get("/sim/stale-time")
    def stale_time():
        now = clock.now()
        frozen = minute() % 15 >= 11
        stamp = now.replace(second=0, microsecond=0) - timedelta(minutes=minute() % 15 - 11) if frozen else now
        return {"computed_time": stamp.isoformat(), "version": "1.2.3"}

    @app.get("/sim/task")
    def task():
        now = clock.now()
        failing = minute() % 20 < 2
        return {"status": "error" if failing else "ok", "reason": "simulated failure" if failing else "",
                "lastrun": (now - timedelta(minutes=3)).astimezone(UTC).isoformat(), "frequency": 10,
                "sleep": [{"start": "02:00:00", "duration": 30}], "process": "invoice-export", "server": "sim-1"}

    @app.get("/sim/slow")
    def slow():
        seconds = min(10.0, float(request.args.get("seconds", 2)))
        time.sleep(seconds)
        return {"status": "ok", "slept": seconds}

    @app.get("/fixtures/<path:name>")
    def fixture(name):
        if not fixtures:
            abort(404)
        full = os.path.realpath(os.path.join(fixtures, name))
        if not full.startswith(os.path.realpath(fixtures) + os.sep) or not os.path.isfile(full):
            abort(404)
        kind = TYPES.get(os.path.splitext(full)[1]) or mimetypes.guess_type(full)[0] or "application/octet-stream"
        return send_file(full, mimetype=kind, etag=True, conditional=True)

    @app.get("/")
    def index():
        return jsonify(sorted(str(rule) for rule in app.url_map.iter_rules()))

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--fixtures", default=None)
    args = parser.parse_args(argv)
    from werkzeug.serving import make_server

    server = make_server(args.host, args.port, create_app(args.fixtures), threaded=True)
    print(f"simulator on http://{args.host}:{args.port} (fixtures: {args.fixtures or 'none'})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["datetime"]
