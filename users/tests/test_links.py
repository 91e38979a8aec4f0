"""Sign-up confirmed by an emailed link, and resetting a forgotten password by email."""
from datetime import UTC, datetime

import pytest
from conftest import PASSWORD, claims
from polystatus.clock import FrozenClock

ORIGIN = {"Origin": "https://status.example.com"}
NEW_PASSWORD = "a brand new passphrase 7"


@pytest.fixture()
def clock():
    return FrozenClock(datetime.now(UTC))


@pytest.fixture()
def app(base_config, comms, clock):
    from users.app import create_app

    return create_app({**base_config, "COMMS_URL": comms.url, "PUBLIC_URL": "https://status.example.com",
                       "CORS_ORIGINS": ["https://status.example.com"], "SESSION_COOKIE_PATH": "/auth",
                       "CLOCK": clock})


def signup(client, email="dana@example.com", password=PASSWORD, **extra):
    return client.post("/auth/signup", json={"email": email, "password": password, "display_name": "Dana", **extra})


def test_signing_up_mails_a_confirmation_link_and_creates_no_account_until_it_is_followed(client, comms):
    response = signup(client, lang="fr")
    assert response.status_code == 202
    message = comms.last("dana@example.com")
    assert message["template"] == "confirm_signup" and message["lang"] == "fr"
    assert message["link"].startswith("https://status.example.com/signup/confirm#token=")
    assert client.post("/auth/login", json={"email": "dana@example.com", "password": PASSWORD}).status_code == 401


def test_following_the_link_creates_the_account_and_signs_it_in_with_a_session_cookie(client, comms):
    signup(client)
    response = client.post("/auth/signup/confirm", json={"token": comms.token_of("dana@example.com"),
                                                         "session": "cookie"})
    assert response.status_code == 201, response.json
    assert response.json["user"]["email"] == "dana@example.com" and response.json["user"]["role"] == "user"
    assert "refresh_token" not in response.json
    assert claims(response.json["access_token"])["sub"] == response.json["user"]["id"]
    assert client.get_cookie("polystatus_refresh", path="/auth") is not None
    assert client.post("/auth/login", json={"email": "dana@example.com", "password": PASSWORD}).status_code == 200


def test_a_confirmation_link_works_once(client, comms):
    signup(client)
    token = comms.token_of("dana@example.com")
    assert client.post("/auth/signup/confirm", json={"token": token}).status_code == 201
    again = client.post("/auth/signup/confirm", json={"token": token})
    assert again.status_code == 400 and again.json["error"]["code"] == "link_invalid"


def test_an_expired_confirmation_link_is_refused_and_creates_nothing(client, comms, clock):
    signup(client)
    clock.advance(hours=24, seconds=1)
    response = client.post("/auth/signup/confirm", json={"token": comms.token_of("dana@example.com")})
    assert response.status_code == 400 and response.json["error"]["code"] == "link_expired"
    assert client.post("/auth/login", json={"email": "dana@example.com", "password": PASSWORD}).status_code == 401


def test_a_made_up_token_is_refused(client, comms):
    signup(client)
    response = client.post("/auth/signup/confirm", json={"token": comms.token_of("dana@example.com")[:-2] + "xy"})
    assert response.status_code == 400 and response.json["error"]["code"] == "link_invalid"


def test_link_tokens_are_stored_hashed(app, client, comms):
    signup(client)
    token = comms.token_of("dana@example.com")
    r = app.extensions["redis"]
    keys = list(r.scan_iter("link:*"))
    assert len(keys) == 1 and token not in keys[0]
    assert token not in r.get(keys[0]) and PASSWORD not in r.get(keys[0])


def test_signing_up_with_an_address_that_has_an_account_answers_the_same_and_tells_its_owner(client, comms):
    signup(client)
    client.post("/auth/signup/confirm", json={"token": comms.token_of("dana@example.com")})
    first = signup(client, email="erin@example.com")
    second = signup(client, email="DANA@example.com")
    assert (first.status_code, first.json) == (second.status_code, second.json)
    assert comms.last("dana@example.com")["template"] == "account_exists"
    assert comms.last("dana@example.com")["link"] == "https://status.example.com/reset"


def test_a_weak_password_is_refused_before_anything_is_mailed(client, comms):
    response = signup(client, password="password123")
    assert response.status_code == 422 and "password" in response.json["error"]["details"]
    assert comms.messages == []


def test_sign_ups_are_rate_limited_per_client_address(app, client):
    app.config["SIGNUP_LIMIT_PER_ADDRESS"] = 3
    answers = [signup(client, email=f"p{i}@example.com").status_code for i in range(4)]
    assert answers == [202, 202, 202, 429]
    other = client.post("/auth/signup", json={"email": "q@example.com", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 202


def test_mails_to_one_address_are_rate_limited_whoever_asks_and_whatever_for(app, client, comms):
    app.config["EMAIL_LINKS_PER_ADDRESS"] = 2
    assert signup(client).status_code == 202
    assert client.post("/auth/reset", json={"email": "dana@example.com"},
                       environ_base={"REMOTE_ADDR": "203.0.113.10"}).status_code == 202
    refused = client.post("/auth/reset", json={"email": "dana@example.com"},
                          environ_base={"REMOTE_ADDR": "203.0.113.11"})
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert len(comms.messages) == 2


def test_when_mail_cannot_be_sent_the_person_is_told_to_try_again(client, comms):
    comms.failing = True
    response = signup(client)
    assert response.status_code == 503 and response.json["error"]["code"] == "unavailable"


def test_users_calls_comms_with_a_service_token_it_signed_itself(client, comms):
    signup(client)
    token = claims(comms.tokens[-1])
    assert token["role"] == "service" and token["sub"] == "service:users"


@pytest.fixture()
def dana(client, comms):
    signup(client)
    client.post("/auth/signup/confirm", json={"token": comms.token_of("dana@example.com")})
    comms.messages.clear()
    return client.post("/auth/login", json={"email": "dana@example.com", "password": PASSWORD}).json


def test_a_reset_link_sets_a_new_password_signs_in_and_ends_every_other_session(client, comms, dana):
    assert client.post("/auth/reset", json={"email": "dana@example.com", "lang": "fr"}).status_code == 202
    message = comms.last("dana@example.com")
    assert message["template"] == "reset_password" and message["link"].startswith("https://status.example.com/reset#token=")
    response = client.post("/auth/reset/confirm", json={"token": comms.token_of("dana@example.com"),
                                                        "password": NEW_PASSWORD, "session": "cookie"})
    assert response.status_code == 200, response.json
    assert client.get_cookie("polystatus_refresh", path="/auth") is not None
    assert client.post("/auth/refresh", json={"refresh_token": dana["refresh_token"]}).status_code == 401
    assert client.post("/auth/login", json={"email": "dana@example.com", "password": PASSWORD}).status_code == 401
    assert client.post("/auth/login", json={"email": "dana@example.com", "password": NEW_PASSWORD}).status_code == 200


def test_a_reset_link_works_once(client, comms, dana):
    client.post("/auth/reset", json={"email": "dana@example.com"})
    token = comms.token_of("dana@example.com")
    assert client.post("/auth/reset/confirm", json={"token": token, "password": NEW_PASSWORD}).status_code == 200
    again = client.post("/auth/reset/confirm", json={"token": token, "password": "yet another passphrase 9"})
    assert again.status_code == 400 and again.json["error"]["code"] == "link_invalid"


def test_a_reset_link_expires_after_thirty_minutes(client, comms, dana, clock):
    client.post("/auth/reset", json={"email": "dana@example.com"})
    clock.advance(minutes=30)
    response = client.post("/auth/reset/confirm", json={"token": comms.token_of("dana@example.com"),
                                                        "password": NEW_PASSWORD})
    assert response.status_code == 400 and response.json["error"]["code"] == "link_expired"
    assert client.post("/auth/login", json={"email": "dana@example.com", "password": PASSWORD}).status_code == 200


def test_a_wrong_reset_token_changes_nothing(client, comms, dana):
    client.post("/auth/reset", json={"email": "dana@example.com"})
    response = client.post("/auth/reset/confirm", json={"token": "x" * 43, "password": NEW_PASSWORD})
    assert response.status_code == 400 and response.json["error"]["code"] == "link_invalid"


def test_a_too_weak_new_password_keeps_the_reset_link_usable(client, comms, dana):
    client.post("/auth/reset", json={"email": "dana@example.com"})
    token = comms.token_of("dana@example.com")
    assert client.post("/auth/reset/confirm", json={"token": token, "password": "short"}).status_code == 422
    assert client.post("/auth/reset/confirm", json={"token": token, "password": NEW_PASSWORD}).status_code == 200


def test_resetting_an_unknown_address_answers_the_same_and_mails_a_sign_up_link(client, comms, dana):
    known = client.post("/auth/reset", json={"email": "dana@example.com"})
    unknown = client.post("/auth/reset", json={"email": "nobody@example.com"})
    assert (known.status_code, known.json) == (unknown.status_code, unknown.json) == (202, known.json)
    assert comms.last("nobody@example.com") == {"template": "reset_no_account", "to": "nobody@example.com",
                                                "lang": "en", "link": "https://status.example.com/signup"}


def test_resets_are_rate_limited_per_client_address(app, client, dana):
    app.config["RESET_LIMIT_PER_ADDRESS"] = 2
    answers = [client.post("/auth/reset", json={"email": f"r{i}@example.com"}).status_code for i in range(3)]
    assert answers == [202, 202, 429]


def test_an_account_keeps_the_language_it_signed_up_in_and_its_owner_changes_it(client, comms):
    signup(client, lang="fr")
    created = client.post("/auth/signup/confirm", json={"token": comms.token_of("dana@example.com")}).json
    assert created["user"]["lang"] == "fr"
    me = {"Authorization": f"Bearer {created['access_token']}"}
    changed = client.patch(f"/users/{created['user']['id']}", headers=me, json={"lang": "en"})
    assert changed.status_code == 200 and changed.json["lang"] == "en"
    refused = client.patch(f"/users/{created['user']['id']}", headers=me, json={"lang": "de"})
    assert refused.status_code == 422 and "lang" in refused.json["error"]["details"]["json"]
