"""API keys in every service (polystatus.auth): asked of users over real HTTP, as a service,
and remembered for API_KEY_CACHE_TTL."""
import json

import pytest
from polystatus.app_factory import create_service_app
from polystatus.auth import require_role
from polystatus.testing import JSONServer

KEY = "psk_" + "k" * 43
SERVICE_TOKEN = "service-token-for-incidents"


class FakeUsers:
    """users as a service sees it: the client-credentials exchange and the introspection."""

    def __init__(self):
        self.answers = {KEY: {"active": True, "key_id": "k1", "kind": "personal", "sub": "u-bob", "role": "staff",
                              "email": "bob@example.com", "scopes": ["incidents:write"], "expires_in": None}}
        self.asked = []
        self.http = JSONServer(self.handle)

    def handle(self, method, path, headers, body):
        if path == "/auth/token":
            credentials = json.loads(body)
            if credentials["client_secret"] != "incidents-secret-0123456789":
                return 401, {}
            return 200, {"access_token": SERVICE_TOKEN, "expires_in": 600}
        if path == "/auth/api-keys/introspect":
            if headers.get("Authorization") != f"Bearer {SERVICE_TOKEN}":
                return 401, {}
            key = json.loads(body)["key"]
            self.asked.append(key)
            return 200, self.answers.get(key, {"active": False, "reason": "api_key_invalid"})
        return 404, {}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture()
def users():
    fake = FakeUsers()
    yield fake
    fake.http.stop()


@pytest.fixture()
def clock():
    return Clock()


@pytest.fixture()
def client(base_config, users, clock):
    app = create_service_app(__name__, service="incidents", title="incidents", description="test", settings={}, config={
        **base_config, "API_KEY_INTROSPECT_URL": f"{users.http.url}/auth/api-keys/introspect",
        "SERVICE_CLIENT_ID": "incidents", "SERVICE_CLIENT_SECRET": "incidents-secret-0123456789",
        "API_KEY_CACHE_TTL": 30})
    app.extensions["api_key_verifier"].clock = clock

    @app.post("/things")
    @require_role("staff")
    def create_thing():
        return {"ok": True}, 201

    @app.get("/things")
    @require_role("staff")
    def list_things():
        return {"things": []}

    return app.test_client()


def bearer(key=KEY):
    return {"Authorization": f"Bearer {key}"}


def test_a_key_with_the_scope_passes_the_role_check_as_its_owner(client):
    assert client.post("/things", json={}, headers=bearer()).status_code == 201
    assert client.post("/things", json={}, headers={"X-Api-Key": KEY}).status_code == 201
    # write includes read
    assert client.get("/things", headers=bearer()).status_code == 200


def test_a_key_without_the_scope_is_refused_with_403_naming_it(client, users):
    users.answers[KEY]["scopes"] = ["incidents:read", "users:write"]
    response = client.post("/things", json={}, headers=bearer())
    assert response.status_code == 403 and response.json["error"]["code"] == "scope_missing"
    assert response.json["error"]["details"]["scope"] == "incidents:write"
    assert client.get("/things", headers=bearer()).status_code == 200


def test_a_key_of_an_owner_below_the_route_role_is_refused_with_403(client, users):
    users.answers[KEY]["role"] = "user"
    response = client.post("/things", json={}, headers=bearer())
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_users_is_asked_once_per_key_within_the_ttl(client, users, clock):
    for _ in range(10):
        assert client.post("/things", json={}, headers=bearer()).status_code == 201
    assert users.asked == [KEY]
    clock.now += 31
    assert client.post("/things", json={}, headers=bearer()).status_code == 201
    assert users.asked == [KEY, KEY]


def test_a_revoked_key_stops_working_once_the_ttl_has_passed(client, users, clock):
    assert client.post("/things", json={}, headers=bearer()).status_code == 201
    users.answers[KEY] = {"active": False, "reason": "api_key_invalid"}
    clock.now += 29
    assert client.post("/things", json={}, headers=bearer()).status_code == 201  # the bounded delay
    clock.now += 2
    response = client.post("/things", json={}, headers=bearer())
    assert response.status_code == 401 and response.json["error"]["code"] == "api_key_invalid"


def test_an_answer_is_never_kept_past_the_keys_expiry(client, users, clock):
    users.answers[KEY]["expires_in"] = 5
    assert client.post("/things", json={}, headers=bearer()).status_code == 201
    users.answers[KEY] = {"active": False, "reason": "api_key_expired"}
    clock.now += 6
    response = client.post("/things", json={}, headers=bearer())
    assert response.status_code == 401 and response.json["error"]["code"] == "api_key_expired"


def test_an_unknown_key_is_refused_and_the_refusal_remembered(client, users):
    other = "psk_" + "u" * 43
    for _ in range(3):
        assert client.post("/things", json={}, headers=bearer(other)).status_code == 401
    assert users.asked == [other]


def test_an_x_api_key_that_is_not_ours_is_left_to_the_route(client, users):
    """csp-status's Healthchecks API reads its project keys from X-Api-Key: never asked about."""
    response = client.post("/things", json={}, headers={"X-Api-Key": "hc-project-key-0123456789"})
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
    assert users.asked == []


def test_users_out_of_reach_answers_503_not_401(client, users):
    users.http.stop()
    response = client.post("/things", json={}, headers=bearer())
    assert response.status_code == 503 and response.json["error"]["code"] == "api_key_unverifiable"


def test_the_cache_ttl_is_at_most_a_minute_and_the_introspection_url_follows_the_jwks_url():
    from polystatus.settings import SettingsError, common

    with pytest.raises(SettingsError, match="API_KEY_CACHE_TTL"):
        common({"API_KEY_CACHE_TTL": "61"}, port=1, redis_db=0)
    config = common({"JWKS_URL": "https://edge.example/api/users/.well-known/jwks.json"}, port=1, redis_db=0)
    assert config["API_KEY_INTROSPECT_URL"] == "https://edge.example/api/users/auth/api-keys/introspect"
    assert config["API_KEY_CACHE_TTL"] == 30
