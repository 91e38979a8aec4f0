"""Start a service under the production WSGI server: ``python -m polystatus.serve pkg.app:create_app``.

The server is granian, chosen by measurement (bench/wsgi_servers.py: about twice gunicorn's
requests/s for the same two workers on the bare hello endpoint). Its settings come from the
environment: ``HOST`` (default 127.0.0.1; containers set 0.0.0.0), the service's own ``PORT``,
``WEB_WORKERS`` (processes, default 2) and ``WEB_THREADS`` (blocking threads per process,
default 8: our handlers wait on Redis and on other services, so a few threads per process keep
a slow backend from stalling the whole worker).

The service's settings are loaded first, so a bad value stops the start with a clear message.
"""
from __future__ import annotations

import importlib
import os
import shutil
import sys

from .settings import SettingsError, env_int, env_str


def main(argv: list[str]) -> int:
    if len(argv) != 1 or ":" not in argv[0]:
        print("usage: python -m polystatus.serve <package>.app:create_app", file=sys.stderr)
        return 2
    target = argv[0]
    package = target.split(".", 1)[0]
    try:
        config = importlib.import_module(f"{package}.settings").load()
        host = env_str(os.environ, "HOST", "127.0.0.1")
        workers = env_int(os.environ, "WEB_WORKERS", 2, minimum=1, maximum=64)
        threads = env_int(os.environ, "WEB_THREADS", 8, minimum=1, maximum=256)
    except SettingsError as exc:
        print(f"{package}: bad setting: {exc}", file=sys.stderr)
        return 2
    granian = shutil.which("granian") or os.path.join(os.path.dirname(sys.executable), "granian")
    args = [granian, "--interface", "wsgi", "--factory", "--host", host, "--port", str(config["PORT"]),
            "--workers", str(workers), "--blocking-threads", str(threads),
            "--respawn-failed-workers", "--log-level", "warning", target]
    os.execv(granian, args)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
