import os
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from csp_status.app import create_app
from polystatus.clock import FrozenClock
from werkzeug.serving import make_server

# seals DSN passwords in tests (CHECK_SECRETS_KEY)
SECRETS_KEY = "a test key for sealed DSN passwords"
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


@pytest.fixture()
def clock():
    return FrozenClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


@pytest.fixture()
def app(base_config, clock):
    return create_app({**base_config, "CSP_ALLOW_PRIVATE_TARGETS": True, "CLOCK": clock,
                       "CHECK_SECRETS_KEY": [SECRETS_KEY], "PUBLIC_URL": "https://status.example.com"})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def r(app):
    return app.extensions["redis"]


class Served:
    """A real HTTP server on loopback whose answers a test scripts: path -> (status, headers, body).
    With ``tls`` (a server-side ssl.SSLContext) it speaks HTTPS."""

    def __init__(self, tls=None):
        self.routes = {}
        self.hits = []
        served = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                served.hits.append((self.path, dict(self.headers)))
                route = served.routes.get(self.path.split("?")[0])
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, headers, body = route(self) if callable(route) else route
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture()
def served():
    server = Served()
    yield server
    server.server.shutdown()


@pytest.fixture()
def simulator(clock):
    from csp_status.simulator import create_app as simulator_app

    server = make_server("127.0.0.1", 0, simulator_app(FIXTURES, clock), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def fixture_bytes(path: str) -> bytes:
    with open(os.path.join(FIXTURES, path), "rb") as handle:
        return handle.read()

