"""Pytest fixtures shared by every service's tests (loaded as a pytest plugin).

Real parts only: a throw-away ``redis-server`` on a free port (never the user's data), and a
real HTTP server on loopback publishing a JWKS, with tokens for the cast:

- alice is an admin, bob is staff, carol is a user; ``svc`` is a service account;
- ``mallory`` holds a token signed by a key nobody trusts.

``postgres_port`` and ``mariadb_port``: the machine's PostgreSQL (5432) and MariaDB (3306), or a
throw-away server started from their binaries when the port is closed.
"""
from __future__ import annotations

import json
import os
import pwd  # the current user's name with no terminal (os.getlogin needs one)
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

    def __init__(self, *, appendonly: bool = False, replica_of: int | None = None):
        args = ["--save", "", "--appendonly", "yes" if appendonly else "no", "--databases", "16"]
        if replica_of is not None:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        self._start(args, lambda client: client.ping())

    def _start(self, args: list[str], ready, *, config: str | None = None) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed; run `make test`, which installs it")
        self.dir = tempfile.mkdtemp(prefix="polystatus-redis-")
        self.port = free_port()
        head = ["redis-server"] + ([config(self)] if config else [])
        self.process = subprocess.Popen(
            [*head, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir, *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, decode_responses=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                if ready(client):
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"{' '.join(head)} {' '.join(args)} did not start")
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


class SentinelServer(RedisServer):
    """A real Redis Sentinel (``redis-server --sentinel``) watching ``master_port`` as ``name``."""

    def __init__(self, master_port: int, *, name: str = "polystatus", down_after_ms: int = 1000):
        def config(server) -> str:
            # Sentinel rewrites its configuration file, so it needs one of its own.
            path = os.path.join(server.dir, "sentinel.conf")
            with open(path, "w") as handle:
                handle.write(f"sentinel monitor {name} 127.0.0.1 {master_port} 1\n"
                             f"sentinel down-after-milliseconds {name} {down_after_ms}\n"
                             f"sentinel failover-timeout {name} 5000\n")
            return path

        self._start(["--sentinel"], lambda client: client.sentinel_master(name), config=config)


class KeySet:
    """Signs tokens like the users service and publishes the public key as a JWKS over HTTP."""

    def __init__(self):
        self.key = Ed25519PrivateKey.generate()
        self.kid = uuid.uuid4().hex[:12]
        self.rogue = Ed25519PrivateKey.generate()
        public = jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        public.update({"kid": self.kid, "alg": "EdDSA", "use": "sig"})
        document = json.dumps({"keys": [public]}).encode()

        keyset = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                self._answer(document)

            def do_POST(self):  # noqa: N802
                # The two calls a service makes to users about an API key: a service token, then
                # the introspection, which knows no key here (as users answers an unknown one).
                # A fuzzer that sends a psk_-looking header then gets the 401 a real cluster gives.
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/auth/token":
                    self._answer(json.dumps({"access_token": keyset.token("service", role="admin"),
                                             "token_type": "Bearer", "expires_in": 300}).encode())
                elif self.path == "/auth/api-keys/introspect":
                    self._answer(json.dumps({"active": False, "reason": "api_key_invalid"}).encode())
                else:
                    self.send_error(404)

            def _answer(self, body: bytes):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

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
def redis_url(redis_server, request):
    redis.Redis(port=redis_server.port).flushall()
    yield redis_server.url(0)
    if not request.node.get_closest_marker("malformed_events"):
        check_event_contracts(redis_server.port)


def check_event_contracts(port: int) -> None:
    """Every event a test left on a producer's stream matches its contract (polystatus.contracts):
    what the producer's code published, and what a consumer's test fed its consumer. A test
    that writes a malformed event on purpose is marked ``@pytest.mark.malformed_events``."""
    from .contracts import CONTRACTS, ContractError, check

    client = redis.Redis(port=port, decode_responses=True)
    problems = []
    for db in (int(name[2:]) for name in client.info("keyspace")):
        server = redis.Redis(port=port, db=db, decode_responses=True)
        for service in CONTRACTS:
            key = f"events:{service}"
            if server.type(key) != "stream":
                continue
            for entry_id, fields in server.xrange(key):
                try:
                    check(service, fields.get("type", ""), json.loads(fields.get("data") or "{}"))
                except ContractError as exc:
                    problems.append(f"db {db} {entry_id}: {exc}")
    assert not problems, "events that break their contract:\n" + "\n".join(problems)


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
    # API keys are asked of the same stand-in for users as the JWKS (never of whatever listens on
    # the default users address, 127.0.0.1:5002, on the machine running the tests).
    return {"TESTING": True, "REDIS_URL": redis_url, "JWKS_URL": keyset.url, "JWT_ISSUER": ISSUER,
            "API_KEY_INTROSPECT_URL": keyset.url.removesuffix("/.well-known/jwks.json") + "/auth/api-keys/introspect",
            "SERVICE_CLIENT_ID": "tests", "SERVICE_CLIENT_SECRET": "tests-secret-0123456789"}


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


@pytest.fixture(scope="session")
def node_clients() -> str:
    """The folder whose node_modules holds the peers' official JavaScript clients
    (ops/node/package.json), installed by the launcher's setup if this run is the first."""
    import os
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    folder = os.path.join(root, "ops", "node")
    subprocess.run([sys.executable, os.path.join(root, "ops", "launcher.py"), "setup-node"], check=True)
    return folder


# ------------------------------------------------------------------------------------- Sentry
def parse_envelope(raw: bytes) -> tuple[dict, list[dict]]:
    """Sentry's envelope format: a JSON header line, then items, each a JSON item header line
    and a payload of ``length`` bytes (or up to the next newline when no length is given)."""
    first, _, rest = raw.partition(b"\n")
    headers, items, at = json.loads(first), [], 0
    while at < len(rest):
        end = rest.find(b"\n", at)
        line = rest[at:] if end < 0 else rest[at:end]
        at = len(rest) if end < 0 else end + 1
        if not line.strip():
            continue
        item_headers = json.loads(line)
        length = item_headers.get("length")
        if length is None:
            end = rest.find(b"\n", at)
            payload = rest[at:] if end < 0 else rest[at:end]
            at = len(rest) if end < 0 else end + 1
        else:
            payload = rest[at:at + length]
            if len(payload) != length:
                raise ValueError(f"an item announces {length} bytes and has {len(payload)}")
            at += length + (1 if rest[at + length:at + length + 1] == b"\n" else 0)
        item = {"headers": item_headers, "payload": payload}
        if item_headers.get("type") in ("event", "transaction", "client_report", "session", "check_in"):
            item["json"] = json.loads(payload)
        items.append(item)
    return headers, items


def _decoded(body: bytes, encoding: str) -> bytes:
    import gzip
    import zlib

    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli  # only when an SDK has it installed and chose it

        return brotli.decompress(body)
    raise ValueError(f"unknown Content-Encoding {encoding!r}")


class JSONServer:
    """A real HTTP server on loopback answering JSON: ``handle(method, path, headers, body)``
    returns ``(status, document)``; ``url`` is its base."""

    def __init__(self, handle):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def serve(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, document = handle(self.command, self.path, self.headers, body)
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = serve  # noqa: N815 (http.server's naming)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebhookReceiver(JSONServer):
    """A real HTTP server on loopback taking webhooks and chat messages (comms' channels), for
    comms' tests and the browser tests alike: each request's path and body, parsed (``bodies``)
    and as received (``raw``, for a strict reader); it answers ``status``, which a test may
    change (a channel that refuses, then recovers). ``host`` is what a ``webhook://`` URL names."""

    def __init__(self, status: int = 200):
        self.status = status
        self.bodies: list[tuple[str, object]] = []
        self.raw: list[tuple[str, bytes]] = []
        super().__init__(self._take)
        self.host = f"127.0.0.1:{self.port}"

    def _take(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict]:
        self.raw.append((path, body))
        self.bodies.append((path, json.loads(body or b"null")))
        return self.status, {}

    def clear(self) -> None:
        self.bodies.clear()
        self.raw.clear()


class SentryReceiver:
    """A Sentry server on loopback, as far as our code sees one.

    - the ingest endpoint (``POST /api/<project>/envelope/``): checks the DSN's public key in
      ``X-Sentry-Auth`` (else 401 like Sentry), decodes the body (gzip, deflate or plain),
      parses the envelope and keeps it; ``answer_next(status, n)`` makes the next n posts fail;
    - the two Web API calls a Sentry channel makes to resolve an issue, behind a bearer token:
      ``GET /api/0/organizations/<org>/eventids/<event id>/`` (404 until the event has been
      "processed": ``processing_delay`` lookups) and ``PUT /api/0/organizations/<org>/issues/<id>/``.
      Issues are grouped by the events' fingerprints, as Sentry groups them.
    """

    def __init__(self, *, key: str = "0123456789abcdef0123456789abcdef", project: str = "42",
                 org: str = "acme", token: str = "sntryu_" + "t0ken" * 8):
        self.key, self.project, self.org, self.token = key, project, org, token
        self.envelopes: list[dict] = []
        self.raw: list[bytes] = []
        self.groups: dict[tuple, str] = {}  # fingerprint -> issue id
        self.event_groups: dict[str, str] = {}  # event id -> issue id
        self.lookups: dict[str, int] = {}
        self.issue_updates: list[tuple[str, dict]] = []
        self.processing_delay = 0
        self._failures: list[int] = []
        self._changed = threading.Condition()
        self.http = JSONServer(self._handle)
        self.port = self.http.port

    def _handle(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["api", self.project, "envelope"]:
            return self._ingest(headers, body)
        if len(parts) != 6 or parts[:3] != ["api", "0", "organizations"]:
            return 404, {"detail": "not found"}
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"detail": "Invalid token"}
        if parts[3] != self.org:
            return 404, {"detail": "The requested resource does not exist"}
        if method == "GET" and parts[4] == "eventids":
            return self._lookup(parts[5])
        if method == "PUT" and parts[4] == "issues" and parts[5] in self.groups.values():
            with self._changed:
                self.issue_updates.append((parts[5], json.loads(body or b"{}")))
                self._changed.notify_all()
            return 200, {"id": parts[5], **self.issue_updates[-1][1]}
        return 404, {"detail": "The requested resource does not exist"}

    def _ingest(self, headers, body: bytes) -> tuple[int, dict]:
        auth = headers.get("X-Sentry-Auth", "")
        if f"sentry_key={self.key}" not in auth:
            return 401, {"detail": "invalid api key"}
        with self._changed:
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            return failure, {"detail": "told to fail"}
        try:
            raw = _decoded(body, headers.get("Content-Encoding", ""))
            envelope_headers, items = parse_envelope(raw)
        except (ValueError, OSError) as exc:
            return 400, {"detail": f"bad envelope: {exc}"}
        with self._changed:
            self.raw.append(raw)
            self.envelopes.append({"headers": envelope_headers, "items": items, "auth": auth,
                                   "content_encoding": headers.get("Content-Encoding", "")})
            for item in items:
                event = item.get("json")
                if item["headers"].get("type") == "event" and event:
                    key = tuple(event.get("fingerprint") or ["{{ default }}", event.get("message", "")])
                    self.event_groups[event["event_id"]] = self.groups.setdefault(key, str(1000 + len(self.groups)))
            self._changed.notify_all()
        return 200, {"id": envelope_headers.get("event_id")}

    def _lookup(self, event_id: str) -> tuple[int, dict]:
        with self._changed:
            self.lookups[event_id] = self.lookups.get(event_id, 0) + 1
            group = self.event_groups.get(event_id)
            early = self.lookups[event_id] <= self.processing_delay
        if group is None or early:
            return 404, {"detail": "Event not found"}
        return 200, {"organizationSlug": self.org, "projectSlug": "pinger", "groupId": group, "eventId": event_id}

    @property
    def dsn(self) -> str:
        return f"http://{self.key}@127.0.0.1:{self.port}/{self.project}"

    @property
    def api_url(self) -> str:
        return self.http.url

    def answer_next(self, status: int, times: int = 1) -> None:
        with self._changed:
            self._failures.extend([status] * times)

    @property
    def events(self) -> list[dict]:
        with self._changed:
            return [item["json"] for envelope in self.envelopes for item in envelope["items"]
                    if item["headers"].get("type") == "event"]

    def wait_for(self, predicate, timeout: float = 10.0):
        """Wait until ``predicate(receiver)`` is truthy; return its value (AssertionError on time out)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(self)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the Sentry receiver did not get what was awaited in {timeout} s; "
                                         f"it has {len(self.envelopes)} envelopes")
                self._changed.wait(min(left, 0.2))

    def stop(self) -> None:
        self.http.stop()


@pytest.fixture()
def sentry_receiver():
    receiver = SentryReceiver()
    yield receiver
    receiver.stop()


# --- PostgreSQL and MariaDB, for the checks that ask databases (issue 17) --------------------------------------------------------
# PostgreSQL (5432, trust, db test) and MariaDB (3306, root without a password, db test) run on the
# development machines and CI. Where one is missing, a throw-away server is started from the
# binaries if they are installed; otherwise the tests fail saying what to install (never skip).
def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_for(port: int, process, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not _port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the throw-away {what} did not start (exit {process.poll()})")
        time.sleep(0.2)


def _as_service_user(user: str) -> list[str]:
    """PostgreSQL and MariaDB refuse to run as root: run them as their own system user."""
    return ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []


class ThrowAway:
    def __init__(self, port, process, directory):
        self.port, self.process, self.directory = port, process, directory

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> ThrowAway:
    initdb, postgres = shutil.which("initdb"), shutil.which("postgres")
    if not (initdb and postgres):
        pytest.fail("PostgreSQL is needed on 127.0.0.1:5432 (trust auth, database test), or its binaries to start "
                    "a throw-away one: apt-get install postgresql", pytrace=False)
    directory = tempfile.mkdtemp(prefix="polystatus-pg-")
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")  # its data and socket live there
    data = os.path.join(directory, "data")
    user = _as_service_user("postgres")
    subprocess.run([*user, initdb, "-D", data, "-A", "trust", "-U", "postgres"], check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([*user, postgres, "-D", data, "-p", str(port), "-k", directory, "-h", "127.0.0.1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(port, process, "PostgreSQL")
    time.sleep(0.5)
    subprocess.run([shutil.which("psql") or "psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c",
                    "CREATE DATABASE test"], check=True, capture_output=True)
    return ThrowAway(port, process, directory)


def start_mariadb() -> ThrowAway:
    install, server = shutil.which("mariadb-install-db"), shutil.which("mariadbd") or shutil.which("mysqld")
    if not (install and server):
        pytest.fail("MariaDB is needed on 127.0.0.1:3306 (root without a password, database test), or its binaries "
                    "to start a throw-away one: apt-get install mariadb-server", pytrace=False)
    directory = tempfile.mkdtemp(prefix="polystatus-mariadb-")
    data = os.path.join(directory, "data")
    subprocess.run([install, "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal", "--skip-test-db",
                    "--user=root" if os.geteuid() == 0 else f"--user={pwd.getpwuid(os.geteuid()).pw_name}"], check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([server, "--no-defaults", f"--datadir={data}", f"--port={port}", "--bind-address=127.0.0.1",
                                f"--socket={directory}/sock", f"--pid-file={directory}/pid",
                                *(["--user=root"] if os.geteuid() == 0 else [])],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(port, process, "MariaDB")
    import pymysql  # the sql extra of csp-status, installed by the launcher

    with pymysql.connect(host="127.0.0.1", port=port, user="root", password="") as conn, conn.cursor() as cursor:
        cursor.execute("CREATE DATABASE IF NOT EXISTS test")
    return ThrowAway(port, process, directory)


@pytest.fixture(scope="session")
def postgres_port():
    if _port_open(5432):
        yield 5432
        return
    server = start_postgres()
    yield server.port
    server.stop()


@pytest.fixture(scope="session")
def mariadb_port():
    if _port_open(3306):
        yield 3306
        return
    server = start_mariadb()
    yield server.port
    server.stop()


def pytest_configure(config):
    config.addinivalue_line("markers", "malformed_events: the test writes events that break their contract on purpose")
