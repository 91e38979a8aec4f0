"""What every bench script shares: free ports, starting a server, running wrk, parsing it.

wrk is the load tool (Debian's package; `apt-get install wrk`). Everything targets 127.0.0.1
and is bounded in time.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from polystatus.serve import default_workers
from polystatus.testing import KeySet, RedisServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def need_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (Debian) or `brew install wrk`")
    return path


def wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def start(cmd: list[str], env: dict | None = None, cwd: str | None = None) -> subprocess.Popen:
    return subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd or ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def start_service(target: str, port: int, env: dict) -> subprocess.Popen:
    """One PolyStatus web service (``users.app:create_app``) on ``port``, once it is ready: the
    small rigs of the benches and of the end-to-end tests that need settings of their own."""
    process = start([sys.executable, "-m", "polystatus.serve", target],
                    {"PORT": str(port), "WEB_WORKERS": "1", "WEB_THREADS": "8", "LOG_LEVEL": "WARNING", **env})
    wait_http(f"http://127.0.0.1:{port}/readyz", timeout=60)
    return process


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def serve_cmd(server: str, target: str, port: int, workers: int = 2, threads: int | None = None) -> list[str]:
    """``target`` is 'module:factory' (a function returning a WSGI app)."""
    if server == "gunicorn":
        return [f"{VENV_BIN}/gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                "--log-level", "warning", f"{target}()"]
    if server == "gunicorn-gthread":
        return [f"{VENV_BIN}/gunicorn", "-w", str(workers), "-k", "gthread", "--threads", "8",
                "-b", f"127.0.0.1:{port}", "--log-level", "warning", f"{target}()"]
    if server == "granian":
        return [f"{VENV_BIN}/granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--log-level", "warning", "--factory", target] + (
                    ["--blocking-threads", str(threads)] if threads else [])
    raise ValueError(server)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, *, seconds: int = 8, connections: int = 64, threads: int = 2,
        script: str | None = None, headers: dict | None = None) -> dict:
    cmd = [need_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)] if p99 else float("nan"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
        "raw": out,
    }


# ---------------------------------------------------------------------------------- services
# The same server configuration for a service and its reference: granian, WORKERS processes of
# THREADS blocking threads each, as `polystatus.serve` runs them in production by default.
WORKERS, THREADS = default_workers(), 8
PYTHON = os.path.join(VENV_BIN, "python")


class Rig(contextlib.ExitStack):
    """What one bench run starts (Redis, signing keys, services, references), each stopped in
    reverse order however the run ends, including when a later start fails.

        with Rig() as rig:
            redis_server, keys = rig.redis(), rig.keys()
            rig.service("incidents.app:create_app", port, {...})
    """

    def redis(self) -> RedisServer:
        server = RedisServer()
        self.callback(server.stop)
        return server

    def keys(self) -> KeySet:
        keys = KeySet()
        self.callback(keys.stop)
        return keys

    def process(self, cmd: list[str], env: dict | None = None) -> subprocess.Popen:
        process = start(cmd, env)
        self.callback(stop, process)
        return process

    def service(self, target: str, port: int, env: dict) -> subprocess.Popen:
        """One PolyStatus service (``incidents.app:create_app``), once /readyz answers."""
        process = self.process([PYTHON, "-m", "polystatus.serve", target],
                               {"PORT": str(port), "WEB_WORKERS": str(WORKERS), "WEB_THREADS": str(THREADS),
                                "LOG_LEVEL": "WARNING", **env})
        wait_http(f"http://127.0.0.1:{port}/readyz")
        return process

    def reference(self, port: int, redis_url: str = "") -> subprocess.Popen:
        """The bare hello app under the same server configuration."""
        process = self.process(serve_cmd("granian", "bench.hello_app:create_app", port, WORKERS, THREADS),
                               {"REDIS_URL": redis_url})
        wait_http(f"http://127.0.0.1:{port}/hello")
        return process


def call(method: str, url: str, body=None, headers: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def measure(label: str, url: str, warmup: bool = True, **kwargs) -> dict:
    if warmup:
        wrk(url, seconds=2, connections=kwargs.get("connections", 64), script=kwargs.get("script"),
            headers=kwargs.get("headers"))
    result = wrk(url, **kwargs)
    print(f"{label:<44} {result['rps']:>9.0f} req/s   p99 {result['p99_ms']:>8.2f} ms   non-2xx {result['non_2xx']}",
          flush=True)
    return result


def verdict(name: str, ratio: float, target: float) -> bool:
    ok = ratio >= target
    print(f"{name}: {ratio:.2f} (target >= {target}) {'PASS' if ok else 'FAIL'}", flush=True)
    return ok
