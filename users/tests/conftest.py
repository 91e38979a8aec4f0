import pytest
from users.admin import ensure_admin
from users.app import create_app

PASSWORD = "a long enough passphrase"


@pytest.fixture()
def app(base_config):
    return create_app({**base_config, "SERVICE_CLIENTS": {"comms": "comms-secret-0123456789"}})


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
