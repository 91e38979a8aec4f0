import email
import json
import os
import threading
from datetime import UTC, datetime
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from comms.app import create_app
from comms.mail.catcher import start as start_catcher
from polystatus.clock import FrozenClock
from polystatus.testing import WebhookReceiver, free_port


class FakeUsers:
    """A real HTTP server on loopback answering like the users service does for comms."""

    def __init__(self):
        self.followers: dict[str, list[dict]] = {}
        self.subscribers: dict[str, list[dict]] = {}
        self.removed: list[tuple] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                if body.get("client_secret") != "comms-secret-0123456789":
                    return self._send(401, {"error": {"status": 401}})
                self._send(200, {"access_token": "service-token", "token_type": "Bearer", "expires_in": 600})

            def do_GET(self):  # noqa: N802
                if self.headers.get("Authorization") != "Bearer service-token":
                    return self._send(401, {})
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                if url.path == "/followers":
                    return self._send(200, {"followers": fake.followers.get(query["incident"][0], [])})
                people = {}
                for component in query["component"][0].split(","):
                    for person in fake.subscribers.get(component, []):
                        people[person["id"]] = person
                return self._send(200, {"subscribers": list(people.values())})

            def do_DELETE(self):  # noqa: N802
                fake.removed.append(tuple(self.path.strip("/").split("/")))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


class Mailbox:
    """A real SMTP server on loopback (aiosmtpd) keeping messages in a directory."""

    def __init__(self, directory):
        self.directory = str(directory)
        self.port = free_port()
        self.controller = start_catcher(self.directory, port=self.port)

    def messages(self):
        out = []
        for name in sorted(os.listdir(self.directory)):
            if name.endswith(".eml"):
                with open(os.path.join(self.directory, name), "rb") as handle:
                    out.append(email.message_from_binary_file(handle, policy=policy.default))
        return out


@pytest.fixture()
def clock():
    return FrozenClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


@pytest.fixture()
def users():
    fake = FakeUsers()
    yield fake
    fake.server.shutdown()


@pytest.fixture()
def receiver():
    server = WebhookReceiver()
    yield server
    server.stop()


@pytest.fixture()
def mailbox(tmp_path):
    box = Mailbox(tmp_path / "mail")
    yield box
    box.controller.stop()


@pytest.fixture()
def config(base_config, clock, users, mailbox):
    return {**base_config, "CLOCK": clock, "USERS_URL": users.url, "SERVICE_CLIENT_SECRET": "comms-secret-0123456789",
            "SMTP_URL": f"smtp://127.0.0.1:{mailbox.port}", "UNSUBSCRIBE_SECRET": "test-secret",
            "MAIL_CATCHER_DIR": mailbox.directory, "PUBLIC_URL": "https://status.example.com",
            "COMMS_PUBLIC_URL": "https://comms.example.com"}


@pytest.fixture()
def app(config):
    return create_app(config)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def r(app):
    return app.extensions["redis"]
