import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from users.admin import ensure_admin
from users.app import create_app

PASSWORD = "a long enough passphrase"


class FakeComms:
    """A real HTTP server on loopback answering POST /messages as comms does; it keeps what it
    was asked to send (and the bearer token it was given), or fails when told to."""

    def __init__(self):
        self.messages: list[dict] = []
        self.tokens: list[str] = []
        self.failing = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                status = 503 if fake.failing else 202
                if not fake.failing:
                    fake.messages.append(body)
                    fake.tokens.append(self.headers.get("Authorization", "").removeprefix("Bearer "))
                raw = json.dumps({"id": f"msg-{len(fake.messages)}", "status": "pending"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def last(self, to: str | None = None) -> dict:
        found = [m for m in self.messages if to is None or m["to"] == to]
        assert found, f"no message to {to}: {self.messages}"
        return found[-1]

    def token_of(self, to: str) -> str:
        link = self.last(to)["link"]
        assert "#token=" in link, link
        return link.split("#token=", 1)[1]


@pytest.fixture()
def comms():
    fake = FakeComms()
    yield fake
    fake.server.shutdown()


@pytest.fixture()
def app(base_config, comms):
    return create_app({**base_config, "SERVICE_CLIENTS": {"comms": "comms-secret-0123456789"},
                       "COMMS_URL": comms.url, "PUBLIC_URL": "https://status.example.com",
                       "CORS_ORIGINS": ["https://status.example.com"],
                       # passkeys belong to the public origin's host (users/settings.py: webauthn)
                       "WEBAUTHN_RP_ID": "status.example.com", "WEBAUTHN_ORIGINS": ["https://status.example.com"],
                       # the test client sends a cookie only to paths under its Path
                       "SESSION_COOKIE_PATH": "/auth"})


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture()
def client(app):
    return app.test_client()


class Cast:
    """alice is admin, bob is staff, carol is a user; all signed in through the real API."""

    def __init__(self, app, client):
        self.client = client
        self.ids, self.tokens = {}, {}
        ensure_admin(app, "alice@example.com", PASSWORD)
        for name in ("bob", "carol"):
            response = client.post("/users", json={"email": f"{name}@example.com", "password": PASSWORD,
                                                   "display_name": name.title()})
            assert response.status_code == 201, response.json
            self.ids[name] = response.json["id"]
        for name in ("alice", "bob", "carol"):
            self.login(name)
        # bob becomes staff through the API, as an admin would do it
        response = client.patch(f"/users/{self.ids['bob']}", json={"role": "staff"}, headers=self.headers("alice"))
        assert response.status_code == 200, response.json
        self.login("bob")

    def login(self, name: str) -> dict:
        response = self.client.post("/auth/login", json={"email": f"{name}@example.com", "password": PASSWORD})
        assert response.status_code == 200, response.json
        self.tokens[name] = response.json
        me = self.client.get("/auth/me", headers=self.headers(name)).json
        self.ids[name] = me["id"]
        return response.json

    def headers(self, name: str | None) -> dict:
        if name is None:
            return {}
        return {"Authorization": f"Bearer {self.tokens[name]['access_token']}"}


@pytest.fixture()
def cast(app, client):
    return Cast(app, client)
