"""End-to-end tests: the whole cluster, started by the same launcher as `make up`.

The cluster runs on ports shifted by an offset, with its data in a temporary directory, so it
never touches a cluster the developer is running (nor its data).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE_PORTS = [5001, 5002, 5003, 5004, 5005, 8080, 6390, 2525, 5099]
ADMIN = {"email": "alice@example.com", "password": "correct horse battery staple 42"}


def _all_free(offset: int) -> bool:
    for port in BASE_PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + offset))
            except (OSError, OverflowError):
                return False
    return True


def pick_offset(offsets: range = range(20000, 40000, 137)) -> int:
    """A port offset at which every port of a cluster is free (faults.py picks from its own
    range, so both clusters can run at once)."""
    for offset in offsets:
        if _all_free(offset):
            return offset
    raise RuntimeError("no free port range for an end-to-end cluster")


class Cluster:
    def __init__(self, urls: dict, public: str, var: str, process: subprocess.Popen, log_path: str):
        self.urls = urls
        self.public = public
        self.var = var
        self.process = process
        self.log_path = log_path

    def url(self, service: str, path: str = "") -> str:
        return self.urls[service] + path

    def logs(self) -> str:
        with open(self.log_path, errors="replace") as handle:
            return handle.read()[-20000:]


def request(method: str, url: str, body=None, headers: dict | None = None, timeout: float = 10.0):
    """A small JSON client over urllib: (status, parsed body or text, headers)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            raw, status, response_headers = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        raw, status, response_headers = exc.read(), exc.code, dict(exc.headers)
    try:
        return status, json.loads(raw), response_headers
    except ValueError:
        return status, raw.decode(errors="replace"), response_headers


@pytest.fixture(scope="session")
def cluster():
    var = tempfile.mkdtemp(prefix="polystatus-e2e-")
    ready_file = os.path.join(var, "ready.json")
    log_path = os.path.join(var, "cluster.log")
    offset = pick_offset()
    env = {**os.environ, "POLYSTATUS_VAR": var, "POLYSTATUS_ADMIN_EMAIL": ADMIN["email"],
           "POLYSTATUS_ADMIN_PASSWORD": ADMIN["password"], "LOG_FORMAT": "text"}
    for name in ("REDIS_URL", "SMTP_URL"):
        env.pop(name, None)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "ops", "launcher.py"), "up", "--port-offset", str(offset),
             "--ready-file", ready_file],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    deadline = time.monotonic() + 180
    while not os.path.exists(ready_file):
        if process.poll() is not None or time.monotonic() > deadline:
            with open(log_path, errors="replace") as handle:
                output = handle.read()[-8000:]
            os.killpg(process.pid, signal.SIGTERM)
            pytest.fail(f"the cluster did not come up:\n{output}")
        time.sleep(0.5)
    with open(ready_file) as handle:
        ready = json.load(handle)
    cluster = Cluster(ready["url"], ready["public"], var, process, log_path)
    yield cluster
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def admin_token(cluster):
    status, body, _ = request("POST", cluster.url("users", "/auth/login"), ADMIN)
    assert status == 200, body
    return body["access_token"]
