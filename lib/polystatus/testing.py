"""Pytest fixtures shared by every service's tests (loaded as a pytest plugin).

Real parts only: a throw-away ``redis-server`` on a free port (never the user's data), and a
real HTTP server on loopback publishing a JWKS, with tokens for the cast:

- alice is an admin, bob is staff, carol is a user; ``svc`` is a service account;
- ``mallory`` holds a token signed by a key nobody trusts.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import redis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

CAST = {
    "alice": ("admin", "alice@example.com"),
    "bob": ("staff", "bob@example.com"),
    "carol": ("user", "carol@example.com"),
    "svc": ("service", None),
}
ISSUER = "polystatus-users"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private redis-server process, removed with its files when stopped."""

    def __init__(self, *, appendonly: bool = False):
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed; run `make test`, which installs it")
        self.dir = tempfile.mkdtemp(prefix="polystatus-redis-")
        self.port = free_port()
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                "--save", "", "--appendonly", "yes" if appendonly else "no", "--databases", "16"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class KeySet:
    """Signs tokens like the users service and publishes the public key as a JWKS over HTTP."""

    def __init__(self):
        self.key = Ed25519PrivateKey.generate()
        self.kid = uuid.uuid4().hex[:12]
        self.rogue = Ed25519PrivateKey.generate()
        public = jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        public.update({"kid": self.kid, "alg": "EdDSA", "use": "sig"})
        document = json.dumps({"keys": [public]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(document)))
                self.end_headers()
                self.wfile.write(document)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"

    def token(self, who: str = "alice", *, role: str | None = None, expires_in: int = 300,
              rogue: bool = False, sub: str | None = None, **claims) -> str:
        default_role, email = CAST.get(who, ("user", f"{who}@example.com"))
        now = datetime.now(UTC)
        payload = {
            "sub": sub or who, "role": role or default_role, "email": email, "iss": ISSUER,
            "iat": now, "exp": now + timedelta(seconds=expires_in), "jti": uuid.uuid4().hex,
            **claims,
        }
        key = self.rogue if rogue else self.key
        return jwt.encode(payload, key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, who: str = "alice", **kwargs) -> dict:
        return {"Authorization": f"Bearer {self.token(who, **kwargs)}"}

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture()
def redis_url(redis_server):
    redis.Redis(port=redis_server.port).flushall()
    return redis_server.url(0)


@pytest.fixture(scope="session")
def keyset():
    keys = KeySet()
    yield keys
    keys.stop()


@pytest.fixture()
def as_(keyset):
    """``as_("bob")`` gives the headers of bob's token; ``as_(None)`` is anonymous."""

    def headers(who: str | None, **kwargs) -> dict:
        if who is None:
            return {}
        if who == "mallory":
            return keyset.headers("carol", rogue=True, **kwargs)
        return keyset.headers(who, **kwargs)

    return headers


@pytest.fixture()
def base_config(redis_url, keyset):
    return {"TESTING": True, "REDIS_URL": redis_url, "JWKS_URL": keyset.url, "JWT_ISSUER": ISSUER}


# --------------------------------------------------------------------------- two transports
COMPARED_HEADERS = ("Content-Type", "Retry-After", "ETag", "Cache-Control", "Content-Security-Policy",
                    "X-Content-Type-Options", "X-Frame-Options")


def comparable(response) -> tuple:
    """A response without what legitimately differs between two runs (the request id)."""
    body = response.get_json(silent=True)
    if isinstance(body, dict):
        body.pop("request_id", None)
    return (response.status_code, body if body is not None else response.get_data(),
            {name: response.headers.get(name) for name in COMPARED_HEADERS})


def through_both_transports(make_app, scenario, redis_url: str) -> tuple[list, list, int]:
    """Run ``scenario(client) -> [responses]`` on an app with the fast transport
    (polystatus.fastpath) and again, on an emptied Redis, on one without. Returns both runs'
    comparable answers and how many the fast transport gave (so a test knows it was used)."""
    runs, fast_answers = [], 0
    for fast in (True, False):
        redis.Redis.from_url(redis_url).flushdb()
        app = make_app({"FASTPATHS": fast})
        runs.append([comparable(response) for response in scenario(app.test_client())])
        if fast:
            fast_answers = getattr(app.wsgi_app, "answered", 0)
    return runs[0], runs[1], fast_answers
