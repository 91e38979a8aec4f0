"""Start a service under the production WSGI server: ``python -m polystatus.serve pkg.app:create_app``.

The server is granian, chosen by measurement (bench/wsgi_servers.py: about twice gunicorn's
requests/s for the same two workers on the bare hello endpoint). Its settings come from the
environment: ``HOST`` (default 127.0.0.1; containers set 0.0.0.0), the service's own ``PORT``,
``WEB_WORKERS`` (processes, default two per CPU the process may run on, at most 8; see
``default_workers``) and ``WEB_THREADS`` (blocking threads per process, default 8: our handlers
wait on Redis and on other services, so a few threads per process keep a slow backend from
stalling the whole worker).

The service's settings are loaded first, so a bad value stops the start with a clear message.
"""
from __future__ import annotations

import importlib
import os
import shutil
import sys

from .settings import SettingsError, env_int, env_str


def default_workers() -> int:
    """Two processes per usable CPU, at most 8.

    Our hot handlers (pings, reports) spend most of a request waiting for a Redis round trip,
    and a waiting thread needs its process's GIL back before it can answer: with one process
    per core the CPUs sat a third idle under ping load. bench/pings.py on 2 cores, same run:
    4 processes answered 11,200-11,400 pings/s against 9,100-9,500 with 2, while the bare hello
    (all CPU) went from 21,600 to 18,800-21,000 requests/s. The cap keeps memory in bounds on a
    large host; in Kubernetes, where a pod sees the node's CPUs rather than its limit, the
    manifests set WEB_WORKERS and scale by replicas instead.
    """
    return min(2 * len(os.sched_getaffinity(0)), 8)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or ":" not in argv[0]:
        print("usage: python -m polystatus.serve <package>.app:create_app", file=sys.stderr)
        return 2
    target = argv[0]
    package = target.split(".", 1)[0]
    try:
        config = importlib.import_module(f"{package}.settings").load()
        host = env_str(os.environ, "HOST", "127.0.0.1")
        workers = env_int(os.environ, "WEB_WORKERS", default_workers(), minimum=1, maximum=64)
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
