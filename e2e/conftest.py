"""End-to-end tests: the whole cluster, started by the same launcher as `make up`.

The cluster runs on ports shifted by an offset, with its data in a temporary directory, so it
never touches a cluster the developer is running (nor its data).
"""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE_PORTS = [5001, 5002, 5003, 5004, 5005, 8080, 6390, 2525, 5099]
ADMIN = {"email": "alice@example.com", "password": "correct horse battery staple 42"}
API_KEY_CACHE_TTL = 2
# The cluster's users signs in with a real OpenID Connect provider run here (oidc-provider-mock):
# SSO sessions are an identity of the authorization matrix; e2e/test_sso.py has its own rig.
SSO_ROLE_MAP = "groups:ops=staff,groups:it=admin"
# Every browser and API sign-in of the suite comes from 127.0.0.1, as a whole office behind one
# NAT would: a fast run signs in more than the default 30 times a minute from there, and its
# tests then meet a 429 that is not theirs. e2e/test_abuse.py tests the limit at this value.
LOGIN_LIMIT_PER_ADDRESS = 200


def _all_free(offset: int) -> bool:
    for port in BASE_PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + offset))
            except (OSError, OverflowError):
                return False
    return True


# Every cluster's ports stay below the kernel's ephemeral range (32768 and up on Linux): a port
# there can be taken by any outgoing connection (the unit suites run beside e2e) in the moment
# between a service's kill and its restart, and the restart then fails.
EPHEMERAL_START = 32768


def pick_offset(offsets: range = range(14000, EPHEMERAL_START - 8081, 137)) -> int:
    """A port offset at which every port of a cluster is free (faults.py picks from its own
    range, so both clusters can run at once).

    The search starts at a random place in the range: two test runs starting together on one
    machine (two checkouts, say) would otherwise both pick the first free offset.
    """
    start = random.randrange(len(offsets))
    for offset in [*offsets[start:], *offsets[:start]]:
        if _all_free(offset):
            return offset
    raise RuntimeError("no free port range for an end-to-end cluster")


class Cluster:
    def __init__(self, urls: dict, public: str, var: str, process: subprocess.Popen, log_path: str, idp: str = ""):
        self.urls = urls
        self.public = public
        self.var = var
        self.process = process
        self.log_path = log_path
        self.idp = idp  # the OpenID Connect provider's base URL

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
def identity_provider():
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def pytest_configure(config):
    # The provider runs in this process; its own use of authlib's older server API warns.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:authlib.oidc.core.grants._legacy")


@pytest.fixture(scope="session")
def cluster(identity_provider):
    var = tempfile.mkdtemp(prefix="polystatus-e2e-")
    ready_file = os.path.join(var, "ready.json")
    log_path = os.path.join(var, "cluster.log")
    offset = pick_offset()
    env = {**os.environ, "POLYSTATUS_VAR": var, "POLYSTATUS_ADMIN_EMAIL": ADMIN["email"],
           "POLYSTATUS_ADMIN_PASSWORD": ADMIN["password"], "LOG_FORMAT": "text",
           # A revoked API key is refused everywhere within this (e2e/test_api_keys.py waits for it).
           "API_KEY_CACHE_TTL": str(API_KEY_CACHE_TTL),
           "LOGIN_LIMIT_PER_ADDRESS": str(LOGIN_LIMIT_PER_ADDRESS),
           "OIDC_DISCOVERY_URL": f"{identity_provider}/.well-known/openid-configuration",
           "OIDC_CLIENT_ID": "polystatus-e2e", "OIDC_CLIENT_SECRET": "e2e-cluster-client-secret-0123456789",
           "OIDC_DISPLAY_NAME": "Example SSO", "OIDC_ROLE_MAP": SSO_ROLE_MAP}
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
    cluster = Cluster(ready["url"], ready["public"], var, process, log_path, idp=identity_provider)
    yield cluster
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def sso_sign_in(cluster, sub: str, **claims) -> str:
    """An access token from a whole single sign-on round trip through the public origin, as a
    browser makes it (its cookies kept; the provider's form answered): the provider knows
    ``sub`` with ``claims``."""
    import httpx

    assert httpx.put(f"{cluster.idp}/users/{sub}", json=claims).status_code == 204
    with httpx.Client(base_url=cluster.public, follow_redirects=False, timeout=20) as browser:
        started = browser.get("/api/users/auth/oidc/start", params={"next": "/"})
        assert started.status_code == 302, started.text
        at_provider = httpx.post(started.headers["location"], data={"sub": sub}, timeout=20)
        assert at_provider.status_code == 302, at_provider.text
        back = urlsplit(at_provider.headers["location"])
        came_back = browser.get(back.path, params={k: v[0] for k, v in parse_qs(back.query).items()})
        assert came_back.status_code == 302 and "sso=done" in came_back.headers["location"], came_back.headers
        refreshed = browser.post("/api/users/auth/refresh", json={}, headers={"Origin": cluster.public})
        assert refreshed.status_code == 200, refreshed.text
        return refreshed.json()["access_token"]


@pytest.fixture(scope="module")
def admin_token(cluster):
    """A fresh access token per test file: one for the whole session would outlive its 15 minutes
    (ACCESS_TOKEN_TTL) on a slow run, and the key that signed it once the matrix rotates it."""
    status, body, _ = request("POST", cluster.url("users", "/auth/login"), ADMIN)
    assert status == 200, body
    return body["access_token"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright, for every browser test of the session."""
    from browsing import chromium_path
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path())
        yield browser
        browser.close()
