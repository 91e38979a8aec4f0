"""Two-factor sign-in (issue 20): TOTP set up from the account, the second step of a sign-in,
recovery codes, and enforcement for staff and admins by TOTP_REQUIRED_ROLES."""
import jwt
import pyotp
import pytest
from conftest import PASSWORD
from polystatus.clock import FrozenClock


@pytest.fixture()
def clock(app):
    clock = FrozenClock()
    app.config["CLOCK"] = clock
    return clock


def code_at(secret: str, clock) -> str:
    return pyotp.TOTP(secret).at(clock.now().timestamp())


def enrol(client, cast, who: str, clock) -> tuple[str, list[str]]:
    setup = client.post("/auth/totp/setup", headers=cast.headers(who))
    assert setup.status_code == 200, setup.json
    secret = setup.json["secret"]
    enabled = client.post("/auth/totp/enable", json={"code": code_at(secret, clock)}, headers=cast.headers(who))
    assert enabled.status_code == 201, enabled.json
    return secret, enabled.json["recovery_codes"]


def login(client, who: str, **extra):
    return client.post("/auth/login", json={"email": f"{who}@example.com", "password": PASSWORD, **extra})


def test_setting_up_gives_a_secret_an_otpauth_uri_and_a_qr_code(client, cast, clock):
    answer = client.post("/auth/totp/setup", headers=cast.headers("carol")).json
    assert len(answer["secret"]) == 32
    assert answer["uri"].startswith("otpauth://totp/PolyStatus:carol%40example.com?secret=")
    assert answer["qr"].startswith("data:image/svg+xml")
    assert client.get("/auth/totp", headers=cast.headers("carol")).json == {
        "enabled": False, "required": False, "recovery_codes_left": 0}


def test_a_wrong_first_code_does_not_turn_it_on(client, cast, clock):
    client.post("/auth/totp/setup", headers=cast.headers("carol"))
    response = client.post("/auth/totp/enable", json={"code": "000000"}, headers=cast.headers("carol"))
    assert response.status_code == 422 and "code" in response.json["error"]["details"]
    assert client.get("/auth/totp", headers=cast.headers("carol")).json["enabled"] is False


def test_with_two_factor_on_a_password_alone_gets_a_challenge_not_tokens(client, cast, clock):
    secret, codes = enrol(client, cast, "carol", clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    first = login(client, "carol")
    assert first.status_code == 200 and first.json["mfa_required"] is True and "access_token" not in first.json
    clock.advance(seconds=30)
    second = client.post("/auth/login/totp", json={"mfa_token": first.json["mfa_token"], "code": code_at(secret, clock)})
    assert second.status_code == 200 and second.json["access_token"] and second.json["refresh_token"]
    # the challenge is used up
    again = client.post("/auth/login/totp", json={"mfa_token": first.json["mfa_token"], "code": code_at(secret, clock)})
    assert again.status_code == 401 and again.json["error"]["code"] == "mfa_expired"


def test_a_code_works_once(client, cast, clock):
    secret, _ = enrol(client, cast, "carol", clock)
    clock.advance(seconds=30)
    code = code_at(secret, clock)
    assert client.post("/auth/login/totp", json={"mfa_token": login(client, "carol").json["mfa_token"],
                                                 "code": code}).status_code == 200
    replay = client.post("/auth/login/totp", json={"mfa_token": login(client, "carol").json["mfa_token"], "code": code})
    assert replay.status_code == 401 and replay.json["error"]["code"] == "wrong_code"


def test_a_recovery_code_signs_in_once(client, cast, clock):
    _, codes = enrol(client, cast, "carol", clock)
    token = login(client, "carol").json["mfa_token"]
    assert client.post("/auth/login/totp", json={"mfa_token": token, "recovery_code": codes[0].upper()}).status_code == 200
    token = login(client, "carol").json["mfa_token"]
    assert client.post("/auth/login/totp", json={"mfa_token": token, "recovery_code": codes[0]}).status_code == 401
    assert client.get("/auth/totp", headers=cast.headers("carol")).json["recovery_codes_left"] == 9


def test_five_wrong_codes_end_the_challenge(client, cast, clock):
    secret, _ = enrol(client, cast, "carol", clock)
    token = login(client, "carol").json["mfa_token"]
    for _ in range(5):
        assert client.post("/auth/login/totp", json={"mfa_token": token, "code": "123456"}).status_code == 401
    clock.advance(seconds=30)
    late = client.post("/auth/login/totp", json={"mfa_token": token, "code": code_at(secret, clock)})
    assert late.status_code == 401 and late.json["error"]["code"] == "mfa_expired"


def test_the_second_step_shares_the_sign_in_rate_limit_per_address(app, client, cast, clock):
    enrol(client, cast, "carol", clock)
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = 1
    token = "x" * 20
    statuses = [client.post("/auth/login/totp", json={"mfa_token": token, "code": "123456"}).status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_turning_it_on_ends_the_other_sessions(client, cast, clock):
    other = cast.tokens["carol"]["refresh_token"]
    cast.login("carol")
    enrol(client, cast, "carol", clock)
    assert client.post("/auth/refresh", json={"refresh_token": other}).status_code == 401
    assert client.post("/auth/refresh", json={"refresh_token": cast.tokens["carol"]["refresh_token"]}).status_code == 200


def test_turning_it_off_needs_a_code(client, cast, clock):
    secret, _ = enrol(client, cast, "carol", clock)
    assert client.post("/auth/totp/disable", json={}, headers=cast.headers("carol")).status_code == 401
    clock.advance(seconds=30)
    assert client.post("/auth/totp/disable", json={"code": code_at(secret, clock)},
                       headers=cast.headers("carol")).status_code == 204
    assert "access_token" in login(client, "carol").json


def test_an_api_key_cannot_manage_two_factor(client, cast, clock):
    key = client.post("/api-keys", json={"name": "k", "scopes": ["users:write"]}, headers=cast.headers("carol")).json
    response = client.post("/auth/totp/setup", headers={"Authorization": f"Bearer {key['secret']}"})
    assert response.status_code == 403 and response.json["error"]["code"] == "api_key_not_accepted"


def test_when_required_staff_act_as_users_until_they_turn_it_on(app, client, cast, clock):
    app.config["TOTP_REQUIRED_ROLES"] = ["staff", "admin"]
    tokens = cast.login("bob")
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["role"] == "user"
    assert client.get("/auth/totp", headers=cast.headers("bob")).json["required"] is True
    # nor do bob's keys reach further
    key = client.post("/api-keys", json={"name": "k", "scopes": ["users:read"]}, headers=cast.headers("bob")).json
    service = client.post("/auth/token", json={"grant_type": "client_credentials", "client_id": "comms",
                                               "client_secret": "comms-secret-0123456789"}).json["access_token"]
    answer = client.post("/auth/api-keys/introspect", json={"key": key["secret"]},
                         headers={"Authorization": f"Bearer {service}"}).json
    assert answer["role"] == "user"
    secret, _ = enrol(client, cast, "bob", clock)
    clock.advance(seconds=30)
    token = login(client, "bob").json["mfa_token"]
    tokens = client.post("/auth/login/totp", json={"mfa_token": token, "code": code_at(secret, clock)}).json
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["role"] == "staff"
    # carol, a user, is not asked
    assert "access_token" in login(client, "carol").json


def test_a_browser_second_step_keeps_the_session_in_the_cookie(client, cast, clock):
    secret, _ = enrol(client, cast, "carol", clock)
    clock.advance(seconds=30)
    token = login(client, "carol", session="cookie").json["mfa_token"]
    response = client.post("/auth/login/totp", json={"mfa_token": token, "code": code_at(secret, clock)})
    assert response.status_code == 200 and "refresh_token" not in response.json
    assert "polystatus_refresh=" in response.headers.get("Set-Cookie", "")


def test_only_known_roles_can_be_required_to_use_it():
    from polystatus.settings import SettingsError

    from users import settings

    assert settings.load({"TOTP_REQUIRED_ROLES": "staff,admin"})["TOTP_REQUIRED_ROLES"] == ["staff", "admin"]
    with pytest.raises(SettingsError, match="TOTP_REQUIRED_ROLES"):
        settings.load({"TOTP_REQUIRED_ROLES": "staff,boss"})


def stream(app) -> list[dict]:
    import json

    return [{**fields, "data": json.loads(fields["data"])} for _, fields in app.extensions["redis"].xrange("events:users")]


def test_an_admin_sees_who_has_two_factor_on(client, cast, clock):
    enrol(client, cast, "carol", clock)
    ids = cast.ids
    answer = client.get("/auth/totp/accounts", query_string={"user_id": [ids["carol"], ids["bob"]]},
                        headers=cast.headers("alice"))
    assert answer.status_code == 200
    assert [(a["user_id"], a["enabled"], bool(a["enabled_at"])) for a in answer.json["accounts"]] == [
        (ids["carol"], True, True), (ids["bob"], False, False)]
    one = client.get(f"/users/{ids['carol']}/totp", headers=cast.headers("alice")).json
    assert one["enabled"] is True and one["recovery_codes_left"] == 10 and one["user_id"] == ids["carol"]
    # nobody else may ask
    assert client.get("/auth/totp/accounts", query_string={"user_id": ids["carol"]},
                      headers=cast.headers("bob")).status_code == 403
    assert client.get(f"/users/{ids['carol']}/totp", headers=cast.headers("carol")).status_code == 403
    assert client.get("/auth/totp/accounts", headers=cast.headers("alice")).status_code == 422


def test_an_admin_resets_a_persons_two_factor_and_they_sign_in_with_the_password_then_enrol_again(
        app, client, cast, clock):
    enrol(client, cast, "carol", clock)
    assert login(client, "carol").json["mfa_required"] is True
    carol = cast.ids["carol"]
    assert client.delete(f"/users/{carol}/totp", headers=cast.headers("alice")).status_code == 204
    # the password alone signs in now
    assert "access_token" in login(client, "carol").json
    assert client.get(f"/users/{carol}/totp", headers=cast.headers("alice")).json["enabled"] is False
    kinds = [(e["type"], e["data"]) for e in stream(app) if e["type"] != "audit.recorded"]
    assert ("user.totp_disabled", {"user_id": carol, "by": cast.ids["alice"]}) in kinds
    audited = [e["data"] for e in stream(app) if e["type"] == "audit.recorded" and e["data"]["action"] == "reset_totp"]
    assert len(audited) == 1 and audited[0]["object"] == {"type": "users", "id": carol}
    assert audited[0]["actor"]["id"] == cast.ids["alice"]
    # a second reset finds nothing to reset
    again = client.delete(f"/users/{carol}/totp", headers=cast.headers("alice"))
    assert again.status_code == 409 and again.json["error"]["code"] == "totp_not_enabled"
    # and carol sets it up again from her account
    clock.advance(seconds=60)
    enrol(client, cast, "carol", clock)
    assert login(client, "carol").json["mfa_required"] is True


def test_only_an_admin_in_person_resets_someone_elses_two_factor(client, cast, clock):
    enrol(client, cast, "carol", clock)
    carol, alice = cast.ids["carol"], cast.ids["alice"]
    assert client.delete(f"/users/{carol}/totp", headers=cast.headers("bob")).status_code == 403
    assert client.delete(f"/users/{carol}/totp", headers=cast.headers("carol")).status_code == 403
    assert client.delete(f"/users/{carol}/totp").status_code == 401
    key = client.post("/api-keys", json={"name": "k", "scopes": ["users:write"]}, headers=cast.headers("alice")).json
    refused = client.delete(f"/users/{carol}/totp", headers={"Authorization": f"Bearer {key['secret']}"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "api_key_not_accepted"
    # nor her own: that takes a code, from her account
    enrol(client, cast, "alice", clock)
    own = client.delete(f"/users/{alice}/totp", headers=cast.headers("alice"))
    assert own.status_code == 403 and own.json["error"]["code"] == "own_totp"
    assert client.delete("/users/nobody/totp", headers=cast.headers("alice")).status_code == 404
    assert login(client, "carol").json["mfa_required"] is True
