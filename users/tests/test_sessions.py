"""The browser's session: refresh token in an HttpOnly cookie, CSRF checks on the routes that
read it, rotation with a short grace for tabs refreshing together, signing out everywhere."""
import time

import pytest
from conftest import PASSWORD, claims

ORIGIN = {"Origin": "https://status.example.com"}
COOKIE = "polystatus_refresh"


def browser_sign_in(client, name="carol"):
    return client.post("/auth/login", json={"email": f"{name}@example.com", "password": PASSWORD,
                                            "session": "cookie"})


def test_a_browser_sign_in_puts_the_refresh_token_in_an_httponly_strict_cookie_and_not_in_the_body(client, cast):
    response = browser_sign_in(client)
    assert response.status_code == 200 and "refresh_token" not in response.json
    header = response.headers["Set-Cookie"]
    assert header.startswith(f"{COOKIE}=") and "HttpOnly" in header and "SameSite=Strict" in header
    assert "Path=/auth" in header and "Max-Age=2592000" in header


def test_the_cookie_is_secure_on_an_https_public_origin():
    from users import settings

    assert settings.load({"PUBLIC_URL": "https://status.example.com"})["SESSION_COOKIE_SECURE"] is True
    assert settings.load({"PUBLIC_URL": "http://127.0.0.1:8080"})["SESSION_COOKIE_SECURE"] is False


def test_the_cookie_alone_restores_the_session_and_is_rotated(client, cast):
    browser_sign_in(client)
    first = client.get_cookie(COOKIE, path="/auth").value
    response = client.post("/auth/refresh", json={}, headers=ORIGIN)
    assert response.status_code == 200, response.json
    assert claims(response.json["access_token"])["email"] == "carol@example.com"
    assert "refresh_token" not in response.json
    assert client.get_cookie(COOKIE, path="/auth").value != first


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {},
                                     {"Referer": "https://evil.example/page"}])
def test_a_cookie_refresh_not_coming_from_the_public_origin_is_refused(client, cast, headers):
    browser_sign_in(client)
    response = client.post("/auth/refresh", json={}, headers=headers)
    assert response.status_code == 403 and response.json["error"]["code"] == "csrf"


def test_a_referer_on_the_public_origin_is_enough_when_a_browser_sends_no_origin(client, cast):
    browser_sign_in(client)
    response = client.post("/auth/refresh", json={}, headers={"Referer": "https://status.example.com/account"})
    assert response.status_code == 200


def test_sign_out_from_another_origin_is_refused_and_keeps_the_session(client, cast):
    browser_sign_in(client)
    assert client.post("/auth/logout", json={}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/auth/refresh", json={}, headers=ORIGIN).status_code == 200


def test_signing_out_revokes_the_cookie_session_and_clears_the_cookie(client, cast):
    browser_sign_in(client)
    token = client.get_cookie(COOKIE, path="/auth").value
    assert client.post("/auth/logout", json={}, headers=ORIGIN).status_code == 204
    assert client.get_cookie(COOKIE, path="/auth") is None
    assert client.post("/auth/refresh", json={"refresh_token": token}).status_code == 401


def test_two_tabs_refreshing_with_the_same_token_at_once_both_stay_signed_in(client, cast):
    tokens = cast.login("carol")
    first = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    second = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == second.status_code == 200
    assert client.post("/auth/refresh", json={"refresh_token": first.json["refresh_token"]}).status_code == 200


def test_a_refresh_token_replayed_after_the_grace_revokes_the_whole_session(app, client, cast):
    app.config["REFRESH_REUSE_GRACE"] = 0
    tokens = cast.login("carol")
    newer = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json
    time.sleep(1.1)
    replay = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replay.status_code == 401 and replay.json["error"]["code"] == "refresh_reused"
    assert client.post("/auth/refresh", json={"refresh_token": newer["refresh_token"]}).status_code == 401


def test_signing_out_everywhere_revokes_every_session_of_the_account_only(client, cast):
    phone = cast.login("carol")
    browser_sign_in(client)
    bob = cast.login("bob")
    response = client.post("/auth/logout-everywhere", headers={**cast.headers("carol"), **ORIGIN})
    assert response.status_code == 200 and response.json["revoked"] >= 2
    assert client.post("/auth/refresh", json={"refresh_token": phone["refresh_token"]}).status_code == 401
    assert client.get_cookie(COOKIE, path="/auth") is None
    assert client.post("/auth/refresh", json={"refresh_token": bob["refresh_token"]}).status_code == 200


def test_signing_out_everywhere_needs_a_signed_in_person(client):
    assert client.post("/auth/logout-everywhere").status_code == 401


def test_a_new_password_ends_every_other_session_and_keeps_this_one(client, cast):
    other = cast.login("carol")
    here = cast.login("carol")
    response = client.patch(f"/users/{cast.ids['carol']}", headers=cast.headers("carol"),
                            json={"current_password": PASSWORD, "password": "a changed passphrase 11"})
    assert response.status_code == 200
    assert client.post("/auth/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 401
    assert client.post("/auth/refresh", json={"refresh_token": here["refresh_token"]}).status_code == 200


def test_deleting_the_account_ends_its_sessions(client, cast):
    tokens = cast.login("carol")
    assert client.delete(f"/users/{cast.ids['carol']}", headers=cast.headers("carol")).status_code == 204
    response = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401 and response.json["error"]["code"] == "refresh_invalid"


def test_access_tokens_name_their_session(client, cast):
    tokens = cast.login("carol")
    refreshed = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json
    assert claims(tokens["access_token"])["sid"] == claims(refreshed["access_token"])["sid"] != ""
