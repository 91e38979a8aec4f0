"""API keys (issue 20): created with the secret shown once, stored as a digest, scoped under
the owner's role (at creation and at every use), revoked by their owner or an admin."""
import pytest
import redis
from polystatus.clock import FrozenClock

SERVICE_CREDENTIALS = {"grant_type": "client_credentials", "client_id": "comms",
                       "client_secret": "comms-secret-0123456789"}


@pytest.fixture()
def app(app):
    # Every request asks afresh: these tests watch revocation and expiry, not the cache
    # (lib/tests/test_api_keys.py tests the cache).
    app.config["API_KEY_CACHE_TTL"] = 0
    app.extensions["api_key_verifier"].ttl_s = 0
    return app


def create(client, cast, who: str, **body) -> tuple[int, dict]:
    body = {"name": "nightly job", "scopes": ["users:read"], **body}
    response = client.post("/api-keys", json=body, headers=cast.headers(who))
    return response.status_code, response.json


def key_headers(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def service_headers(client) -> dict:
    token = client.post("/auth/token", json=SERVICE_CREDENTIALS).json["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_a_person_creates_a_key_whose_secret_is_shown_once_and_never_listed(client, cast):
    status, key = create(client, cast, "carol", scopes=["users:read", "incidents:read"])
    assert status == 201, key
    assert key["secret"].startswith("psk_") and len(key["secret"]) > 40
    assert key["prefix"] == key["secret"][:12] and key["kind"] == "personal"
    assert key["scopes"] == ["incidents:read", "users:read"] and key["expires_at"] is None
    listed = client.get("/api-keys", headers=cast.headers("carol")).json["keys"]
    assert [k["id"] for k in listed] == [key["id"]]
    assert "secret" not in listed[0] and "digest" not in listed[0]
    assert listed[0]["prefix"] == key["prefix"] and listed[0]["name"] == "nightly job"
    assert listed[0]["created_at"] and listed[0]["last_used_at"] is None
    assert client.get("/api-keys", headers=cast.headers("bob")).json["keys"] == []


def test_the_database_holds_a_digest_of_the_key_and_never_the_key(client, cast, redis_url):
    _, key = create(client, cast, "carol")
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    stored = []
    for name in r.scan_iter():
        kind = r.type(name)
        if kind == "string":
            stored.append(r.get(name))
        elif kind == "hash":
            stored.extend(r.hgetall(name).values())
        elif kind == "stream":
            stored.extend(str(entry) for entry in r.xrange(name))
        stored.append(name)
    assert not [value for value in stored if key["secret"] in value]
    import hashlib

    assert r.get(f"api-key-digest:{hashlib.sha256(key['secret'].encode()).hexdigest()}") == key["id"]


def test_a_key_acts_as_its_owner_through_either_header(client, cast):
    _, key = create(client, cast, "carol")
    for headers in (key_headers(key["secret"]), {"X-Api-Key": key["secret"]}):
        response = client.get("/auth/me", headers=headers)
        assert response.status_code == 200 and response.json["email"] == "carol@example.com"


def test_a_key_without_the_write_scope_is_refused_with_403_naming_the_scope(client, cast):
    _, reader = create(client, cast, "carol", scopes=["users:read"])
    response = client.put("/users/me/follows/INC-1", headers=key_headers(reader["secret"]))
    assert response.status_code == 403 and response.json["error"]["code"] == "scope_missing"
    assert response.json["error"]["details"]["scope"] == "users:write"
    _, writer = create(client, cast, "carol", scopes=["users:write"])
    assert client.put("/users/me/follows/INC-1", headers=key_headers(writer["secret"])).status_code == 200
    # write includes read
    assert client.get("/users/me/follows", headers=key_headers(writer["secret"])).json["incidents"] == ["INC-1"]


def test_a_user_cannot_give_a_key_staff_scopes(client, cast):
    status, answer = create(client, cast, "carol", scopes=["incidents:write"])
    assert status == 403 and answer["error"]["code"] == "scope_above_role"
    status, _ = create(client, cast, "bob", scopes=["incidents:write"])
    assert status == 201
    status, answer = create(client, cast, "bob", scopes=["feature-flags:write"])
    assert status == 403 and answer["error"]["details"]["scopes"] == ["feature-flags:write"]


def test_an_unknown_scope_is_refused_with_422_naming_the_field(client, cast):
    status, answer = create(client, cast, "carol", scopes=["incidents:delete"])
    assert status == 422 and "scopes" in answer["error"]["details"]["json"]


def test_a_demoted_owners_key_keeps_only_what_the_new_role_may_do(client, cast):
    _, key = create(client, cast, "bob", scopes=["incidents:write", "users:read"])
    service = service_headers(client)
    before = client.post("/auth/api-keys/introspect", json={"key": key["secret"]}, headers=service).json
    assert before["active"] is True and before["role"] == "staff"
    assert before["scopes"] == ["incidents:write", "users:read"]
    assert client.patch(f"/users/{cast.ids['bob']}", json={"role": "user"}, headers=cast.headers("alice")).status_code == 200
    after = client.post("/auth/api-keys/introspect", json={"key": key["secret"]}, headers=service).json
    assert after["role"] == "user" and after["scopes"] == ["users:read"]


def test_a_revoked_key_is_refused_with_401(client, cast):
    _, key = create(client, cast, "carol")
    assert client.get("/auth/me", headers=key_headers(key["secret"])).status_code == 200
    assert client.delete(f"/api-keys/{key['id']}", headers=cast.headers("carol")).status_code == 204
    response = client.get("/auth/me", headers=key_headers(key["secret"]))
    assert response.status_code == 401 and response.json["error"]["code"] == "api_key_invalid"
    assert client.get("/api-keys", headers=cast.headers("carol")).json["keys"] == []


def test_an_expired_key_is_refused_with_401(app, client, cast):
    clock = FrozenClock()
    app.config["CLOCK"] = clock
    _, key = create(client, cast, "carol", expires_in_days=1)
    assert key["expires_at"] == "2026-01-06T12:00:00.000Z"
    assert client.get("/auth/me", headers=key_headers(key["secret"])).status_code == 200
    clock.advance(days=1)
    response = client.get("/auth/me", headers=key_headers(key["secret"]))
    assert response.status_code == 401 and response.json["error"]["code"] == "api_key_expired"


def test_a_key_that_is_not_one_is_refused_with_401(client):
    response = client.get("/auth/me", headers=key_headers("psk_" + "x" * 43))
    assert response.status_code == 401 and response.json["error"]["code"] == "api_key_invalid"


def test_only_the_owner_or_an_admin_revokes_a_key(client, cast):
    _, key = create(client, cast, "carol")
    assert client.delete(f"/api-keys/{key['id']}", headers=cast.headers("bob")).status_code == 404
    assert client.delete(f"/api-keys/{key['id']}", headers=cast.headers("alice")).status_code == 204
    assert client.delete(f"/api-keys/{key['id']}", headers=cast.headers("carol")).status_code == 404


def test_an_admin_lists_every_key_with_its_owner_and_nobody_else_does(client, cast):
    create(client, cast, "carol", name="carol's")
    create(client, cast, "alice", kind="service", role="staff", name="ci", scopes=["incidents:write"])
    assert client.get("/api-keys/all", headers=cast.headers("bob")).status_code == 403
    listed = client.get("/api-keys/all", headers=cast.headers("alice")).json["keys"]
    assert {(k["name"], k["kind"], k["owner_email"], k["role"]) for k in listed} == {
        ("carol's", "personal", "carol@example.com", None), ("ci", "service", None, "staff")}


def test_only_admins_create_service_keys_which_act_with_their_own_role(client, cast):
    status, answer = create(client, cast, "bob", kind="service", role="staff")
    assert status == 403
    status, answer = create(client, cast, "alice", kind="service", scopes=["incidents:write"])
    assert status == 422 and "role" in answer["error"]["details"]
    status, key = create(client, cast, "alice", kind="service", role="user", scopes=["incidents:write"])
    assert status == 403 and key["error"]["code"] == "scope_above_role"
    _, key = create(client, cast, "alice", kind="service", role="staff", scopes=["incidents:write"])
    answer = client.post("/auth/api-keys/introspect", json={"key": key["secret"]}, headers=service_headers(client)).json
    assert answer["active"] and answer["role"] == "staff" and answer["sub"] == f"api-key:{key['id']}"
    # nobody's personal list holds it
    assert client.get("/api-keys", headers=cast.headers("alice")).json["keys"] == []


def test_a_key_cannot_create_another_key(client, cast):
    _, key = create(client, cast, "carol", scopes=["users:write"])
    response = client.post("/api-keys", json={"name": "child", "scopes": ["users:read"]}, headers=key_headers(key["secret"]))
    assert response.status_code == 403 and response.json["error"]["code"] == "api_key_not_accepted"


def test_last_used_is_recorded_when_a_key_is_checked(app, client, cast):
    clock = FrozenClock()
    app.config["CLOCK"] = clock
    _, key = create(client, cast, "carol")
    clock.advance(hours=2)
    client.get("/auth/me", headers=key_headers(key["secret"]))
    listed = client.get("/api-keys", headers=cast.headers("carol")).json["keys"]
    assert listed[0]["last_used_at"] == "2026-01-05T14:00:00.000Z"


def test_the_cached_answer_asks_the_store_once_per_ttl(app, client, cast):
    verifier = app.extensions["api_key_verifier"]
    verifier.ttl_s = 60
    _, key = create(client, cast, "carol")
    asked = verifier.asked
    for _ in range(5):
        assert client.get("/auth/me", headers=key_headers(key["secret"])).status_code == 200
    assert verifier.asked == asked + 1


def test_introspection_answers_services_only(client, cast):
    _, key = create(client, cast, "carol")
    assert client.post("/auth/api-keys/introspect", json={"key": key["secret"]},
                       headers=cast.headers("alice")).status_code == 403
    assert client.post("/auth/api-keys/introspect", json={"key": key["secret"]}).status_code == 401


def test_deleting_an_account_revokes_its_keys(client, cast):
    _, key = create(client, cast, "carol")
    assert client.delete(f"/users/{cast.ids['carol']}", headers=cast.headers("alice")).status_code == 204
    assert client.get("/api-keys/all", headers=cast.headers("alice")).json["keys"] == []
    assert client.get("/auth/me", headers=key_headers(key["secret"])).status_code == 401


def test_a_key_expiry_is_between_one_day_and_ten_years(client, cast):
    assert create(client, cast, "carol", expires_in_days=0)[0] == 422
    assert create(client, cast, "carol", expires_in_days=3651)[0] == 422
