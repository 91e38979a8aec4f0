import time

import jwt
from conftest import PASSWORD


def test_login_gives_an_eddsa_access_token_with_the_expected_claims(client, cast):
    tokens = cast.tokens["carol"]
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "EdDSA" and header["kid"]
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert {"sub", "email", "role", "exp", "iat", "jti"} <= set(claims)
    assert claims["role"] == "user" and claims["email"] == "carol@example.com"


def test_the_jwks_verifies_issued_tokens(client, cast):
    jwks = client.get("/.well-known/jwks.json").json
    key = jwt.PyJWKSet.from_dict(jwks).keys[0]
    claims = jwt.decode(cast.tokens["carol"]["access_token"], key.key, algorithms=["EdDSA"])
    assert claims["sub"] == cast.ids["carol"]


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, cast):
    wrong = client.post("/auth/login", json={"email": "carol@example.com", "password": "not the password"})
    unknown = client.post("/auth/login", json={"email": "nobody@example.com", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["error"]["message"] == unknown.json["error"]["message"]


def test_refresh_rotates_the_refresh_token(client, cast):
    first = cast.tokens["carol"]["refresh_token"]
    response = client.post("/auth/refresh", json={"refresh_token": first})
    assert response.status_code == 200
    assert response.json["refresh_token"] != first
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {response.json['access_token']}"}).status_code == 200


def test_reusing_an_old_refresh_token_revokes_the_whole_family(app, client, cast):
    app.config["REFRESH_REUSE_GRACE"] = 0  # a replay of any age (two tabs at once have a few seconds)
    first = cast.tokens["carol"]["refresh_token"]
    second = client.post("/auth/refresh", json={"refresh_token": first}).json["refresh_token"]
    replay = client.post("/auth/refresh", json={"refresh_token": first})
    assert replay.status_code == 401 and replay.json["error"]["code"] == "refresh_reused"
    # the legitimate newer token died with its family
    assert client.post("/auth/refresh", json={"refresh_token": second}).status_code == 401


def test_logout_revokes_the_session(client, cast):
    refresh = cast.tokens["carol"]["refresh_token"]
    assert client.post("/auth/logout", json={"refresh_token": refresh}).status_code == 204
    assert client.post("/auth/refresh", json={"refresh_token": refresh}).status_code == 401


def test_rotation_adds_a_key_and_old_tokens_still_verify(client, cast):
    old_token = cast.tokens["carol"]["access_token"]
    assert client.post("/auth/keys/rotate", headers=cast.headers("carol")).status_code == 403
    kid = client.post("/auth/keys/rotate", headers=cast.headers("alice")).json["kid"]
    jwks = client.get("/.well-known/jwks.json").json
    assert len(jwks["keys"]) == 2
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 200
    new_token = cast.login("carol")["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == kid


def test_the_signing_key_survives_a_restart(base_config, client, cast):
    from users.app import create_app

    restarted = create_app(base_config).test_client()
    assert restarted.get("/auth/me", headers=cast.headers("carol")).status_code == 200


def test_a_service_gets_a_service_token_with_its_secret_only(client):
    bad = client.post("/auth/token", json={"grant_type": "client_credentials", "client_id": "comms",
                                           "client_secret": "wrong"})
    assert bad.status_code == 401
    good = client.post("/auth/token", json={"grant_type": "client_credentials", "client_id": "comms",
                                            "client_secret": "comms-secret-0123456789"})
    assert good.status_code == 200
    claims = jwt.decode(good.json["access_token"], options={"verify_signature": False})
    assert claims["role"] == "service" and claims["sub"] == "service:comms"


def test_an_expired_token_is_refused(app, client, cast):
    ring = app.extensions["key_ring"]
    now = int(time.time())
    expired = ring.sign({"iss": "polystatus-users", "sub": cast.ids["carol"], "role": "user", "iat": now - 100,
                         "exp": now - 10, "jti": "x"})
    response = client.get("/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and response.json["error"]["code"] == "token_expired"


def test_a_token_with_alg_none_is_refused(client, cast):
    claims = jwt.decode(cast.tokens["alice"]["access_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, key=None, algorithm="none")
    assert client.get("/users", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_login_is_rate_limited_per_account_with_retry_after(app, client, cast):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = 3
    for _ in range(3):
        assert client.post("/auth/login", json={"email": "carol@example.com", "password": "bad guess!"}).status_code == 401
    limited = client.post("/auth/login", json={"email": "carol@example.com", "password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    # another account is not affected
    assert client.post("/auth/login", json={"email": "bob@example.com", "password": PASSWORD}).status_code == 200


def test_login_is_rate_limited_per_client_address(app, client, cast):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = 5
    answers = [client.post("/auth/login", json={"email": f"x{i}@example.com", "password": "whatever!"},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for i in range(7)]
    assert answers[:5] == [401] * 5 and answers[5:] == [429, 429]
    other = client.post("/auth/login", json={"email": "carol@example.com", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "203.0.113.10"})
    assert other.status_code == 200


def test_a_rehash_happens_on_login_when_parameters_change(app, client, cast):
    from argon2 import PasswordHasher

    r = app.extensions["redis"]
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    r.hset(f"user:{cast.ids['carol']}", "password_hash", weak)
    assert client.post("/auth/login", json={"email": "carol@example.com", "password": PASSWORD}).status_code == 200
    assert r.hget(f"user:{cast.ids['carol']}", "password_hash") != weak
