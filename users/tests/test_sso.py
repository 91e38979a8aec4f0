"""Single sign-on (issue 20) against a real OpenID Connect provider run on loopback
(oidc-provider-mock): the authorization code flow with PKCE through users' start and callback
routes, accounts linked by verified email, roles mapped from the provider's groups at every
sign-in, refusals (unverified email, a state that is wrong, replayed or from another browser),
SSO-only roles, the sign-in rate limit on both steps, and the link by the provider's subject
(issuer, sub) that follows a person whose email changes at the provider."""
import json
import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis
from conftest import PASSWORD
from joserfc import jwt
from joserfc.jwk import KeySet
from oidc_provider_mock import app as provider_app
from oidc_provider_mock import run_server_in_thread
from polystatus.clock import FrozenClock
from users.app import create_app
from werkzeug.serving import make_server

from users import settings

PUBLIC = "https://status.example.com"
ORIGIN = {"Origin": PUBLIC}
CLIENT_SECRET = "client-secret-of-polystatus-0123"
# the provider runs in this process; its own use of authlib's older server API warns
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.oidc.core.grants._legacy")


@pytest.fixture(scope="module")
def idp():
    # nonce required: the provider refuses an authorization request without one
    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def oidc_settings(idp: str, **extra) -> dict:
    """Read from an environment, as the service reads its own (users.settings.oidc)."""
    return settings.oidc({"OIDC_DISCOVERY_URL": f"{idp}/.well-known/openid-configuration",
                          "OIDC_CLIENT_ID": "polystatus", "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                          "OIDC_DISPLAY_NAME": "Example SSO", "OIDC_ROLE_MAP": "groups:ops=staff,it=admin",
                          **extra}, PUBLIC)


@pytest.fixture()
def app(base_config, comms, idp):
    return create_app({**base_config, "SERVICE_CLIENTS": {"comms": "comms-secret-0123456789"},
                       "COMMS_URL": comms.url, "PUBLIC_URL": PUBLIC, "CORS_ORIGINS": [PUBLIC],
                       "SESSION_COOKIE_PATH": "/auth", **oidc_settings(idp)})


def person(idp: str, sub: str, **claims) -> None:
    """What the provider knows of someone (their claims in the ID token and userinfo)."""
    answer = httpx.put(f"{idp}/users/{sub}", json=claims)
    assert answer.status_code == 204, answer.text


def start(client, next_path: str = "/console"):
    return client.get("/auth/oidc/start", query_string={"next": next_path})


def at_provider(location: str, sub: str) -> dict:
    """The person signs in on the provider's own form; the provider redirects back: its query."""
    answer = httpx.post(location, data={"sub": sub})
    assert answer.status_code == 302, answer.text
    back = answer.headers["location"]
    assert back.startswith(f"{PUBLIC}/api/users/auth/oidc/callback?"), back
    return {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}


def sso_sign_in(client, sub: str, next_path: str = "/console"):
    """The whole round trip in one browser (the test client keeps its cookies)."""
    started = start(client, next_path)
    assert started.status_code == 302, started.get_json()
    return client.get("/auth/oidc/callback", query_string=at_provider(started.headers["Location"], sub))


def landing(response) -> dict:
    assert response.status_code == 302, response.get_json()
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login", response.headers["Location"]
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def bearer(client) -> dict:
    """The session the callback left in the browser: its cookie gives an access token, as on the page."""
    refreshed = client.post("/auth/refresh", json={}, headers=ORIGIN)
    assert refreshed.status_code == 200, refreshed.get_json()
    return {"Authorization": f"Bearer {refreshed.get_json()['access_token']}"}


def me(client) -> dict:
    return client.get("/auth/me", headers=bearer(client)).get_json()


def test_the_sign_in_page_learns_the_button_name_and_never_the_secret(client):
    answer = client.get("/auth/oidc")
    assert answer.get_json() == {"enabled": True, "name": "Example SSO", "start_url": "/api/users/auth/oidc/start"}
    assert CLIENT_SECRET not in answer.get_data(as_text=True)
    assert CLIENT_SECRET not in client.get("/openapi.json").get_data(as_text=True)


def test_without_settings_there_is_no_single_sign_on(base_config, comms):
    plain = create_app({**base_config, "COMMS_URL": comms.url, **settings.oidc({}, PUBLIC)}).test_client()
    assert plain.get("/auth/oidc").get_json()["enabled"] is False
    assert plain.get("/auth/oidc/start").status_code == 404
    assert plain.get("/auth/oidc/callback", query_string={"code": "x", "state": "y"}).status_code == 404


def test_the_start_sends_the_browser_to_the_provider_with_pkce_state_and_nonce(client, idp):
    started = start(client)
    assert started.status_code == 302
    url = urlsplit(started.headers["Location"])
    assert f"{url.scheme}://{url.netloc}" == idp
    query = parse_qs(url.query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["polystatus"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0] and query["scope"] == ["openid email profile"]
    assert query["redirect_uri"] == [f"{PUBLIC}/api/users/auth/oidc/callback"]
    binding = started.headers["Set-Cookie"]
    assert binding.startswith("polystatus_sso=") and "HttpOnly" in binding and "SameSite=Lax" in binding


def test_a_first_sso_sign_in_creates_the_account_with_the_mapped_role_and_lands_where_it_started(client, idp):
    person(idp, "dave-1", email="Dave@Example.com", email_verified=True, name="Dave Ops", groups=["ops", "all"])
    answer = sso_sign_in(client, "dave-1", "/incidents/INC-1")
    assert landing(answer) == {"sso": "done", "next": "/incidents/INC-1"}
    cookie = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("polystatus_refresh=")]
    assert cookie and "HttpOnly" in cookie[0] and "SameSite=Strict" in cookie[0]
    account = me(client)
    assert (account["email"], account["display_name"], account["role"]) == ("dave@example.com", "Dave Ops", "staff")
    # no password: the account signs in with SSO (a password sign-in finds nothing to match)
    refused = client.post("/auth/login", json={"email": "dave@example.com", "password": PASSWORD})
    assert refused.status_code == 401


def test_a_second_sso_sign_in_maps_the_role_again_up_and_down(client, cast, idp, redis_url):
    person(idp, "erin-1", email="erin@example.com", email_verified=True, groups=["it"])
    landing(sso_sign_in(client, "erin-1"))
    assert me(client)["role"] == "admin"
    person(idp, "erin-1", email="erin@example.com", email_verified=True, groups=["ops"])
    landing(sso_sign_in(client, "erin-1"))
    assert me(client)["role"] == "staff"
    person(idp, "erin-1", email="erin@example.com", email_verified=True, groups=[])
    landing(sso_sign_in(client, "erin-1"))
    assert me(client)["role"] == "user"
    events = [e for _, e in redis.Redis.from_url(redis_url, decode_responses=True).xrange("events:users")]
    by_sso = [json.loads(e["data"]) for e in events if e.get("type") == "user.role_changed"
              and json.loads(e["data"])["by"] == "sso"]
    assert [(c["old_role"], c["new_role"]) for c in by_sso] == [("admin", "staff"), ("staff", "user")]


def test_the_map_never_demotes_the_last_admin_it_refuses_the_sign_in_instead(client, idp):
    person(idp, "olga-1", email="olga@example.com", email_verified=True, groups=["it"])
    landing(sso_sign_in(client, "olga-1"))
    person(idp, "olga-1", email="olga@example.com", email_verified=True, groups=[])
    assert landing(sso_sign_in(client, "olga-1"))["sso_error"] == "last_admin"


def test_an_existing_account_is_linked_by_its_verified_email_and_a_role_given_by_hand_is_taken_back(client, cast, idp):
    assert me_of(client, cast, "bob")["role"] == "staff"
    person(idp, "bob-at-idp", email="bob@example.com", email_verified=True, groups=["all"])
    landing(sso_sign_in(client, "bob-at-idp"))
    account = me(client)
    assert account["id"] == cast.ids["bob"] and account["role"] == "user"


def test_without_a_role_map_sso_keeps_the_roles_given_by_hand(app, client, cast, idp):
    app.config["OIDC_ROLE_MAP"] = []
    person(idp, "bob-at-google", email="bob@example.com", email_verified=True)
    landing(sso_sign_in(client, "bob-at-google"))
    assert me(client)["role"] == "staff"
    person(idp, "nia-1", email="nia@example.com", email_verified=True, groups=["it"])
    landing(sso_sign_in(client, "nia-1"))
    assert me(client)["role"] == "user"


def me_of(client, cast, who: str) -> dict:
    return client.get("/auth/me", headers=cast.headers(who)).get_json()


def test_an_unverified_email_is_refused_and_links_nothing(client, cast, idp):
    person(idp, "fake-carol", email="carol@example.com", email_verified=False, groups=["it"])
    assert landing(sso_sign_in(client, "fake-carol")) == {"sso_error": "sso_email_unverified", "next": "/console"}
    assert client.post("/auth/refresh", json={}, headers=ORIGIN).status_code == 401
    assert me_of(client, cast, "carol")["role"] == "user"


def test_a_missing_email_verification_claim_is_refused_too(client, idp):
    person(idp, "gina-1", email="gina@example.com", groups=["it"])
    assert landing(sso_sign_in(client, "gina-1"))["sso_error"] == "sso_email_unverified"


def test_a_wrong_state_is_refused(client, idp):
    person(idp, "hank-1", email="hank@example.com", email_verified=True)
    started = start(client)
    back = at_provider(started.headers["Location"], "hank-1")
    forged = client.get("/auth/oidc/callback", query_string={**back, "state": "not-the-state-we-sent"})
    assert landing(forged)["sso_error"] == "sso_state"
    assert client.post("/auth/refresh", json={}, headers=ORIGIN).status_code == 401


def test_a_state_is_good_once_and_only_in_the_browser_that_started_it(app, client, idp):
    person(idp, "ivy-1", email="ivy@example.com", email_verified=True)
    started = start(client)
    back = at_provider(started.headers["Location"], "ivy-1")
    # another browser (no binding cookie) brings the code and state: someone pushing their own
    # sign-in into a victim's browser (login CSRF)
    other = app.test_client()
    assert landing(other.get("/auth/oidc/callback", query_string=back))["sso_error"] == "sso_state"
    # the state was used up by that attempt: the right browser must start again
    assert landing(client.get("/auth/oidc/callback", query_string=back))["sso_error"] == "sso_state"
    assert landing(sso_sign_in(client, "ivy-1"))["sso"] == "done"


def test_a_person_who_says_no_at_the_provider_comes_back_to_a_clear_refusal(client):
    started = start(client)
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    answer = client.get("/auth/oidc/callback", query_string={"error": "access_denied", "state": state})
    assert landing(answer)["sso_error"] == "sso_denied"


def test_without_auto_creation_a_new_email_is_refused(app, client, idp):
    app.config["OIDC_AUTO_CREATE"] = False
    person(idp, "jack-1", email="jack@example.com", email_verified=True)
    assert landing(sso_sign_in(client, "jack-1"))["sso_error"] == "sso_no_account"


def test_an_sso_sign_in_is_audited_with_who_and_the_role(client, idp, redis_url):
    person(idp, "kim-1", email="kim@example.com", email_verified=True, groups=["ops"])
    landing(sso_sign_in(client, "kim-1"))
    entries = [e for _, e in redis.Redis.from_url(redis_url, decode_responses=True).xrange("events:users")
               if e.get("type") == "audit.recorded"]
    logins = [json.loads(e["data"]) for e in entries if json.loads(e["data"])["action"] == "sso_login"]
    assert len(logins) == 1
    assert logins[0]["after"] == {"user_id": me(client)["id"], "email": "kim@example.com", "role": "staff",
                                  "provider": "Example SSO"}
    assert "code" not in json.dumps(logins[0]["after"])


def test_sso_only_roles_cannot_use_their_password_but_users_can(app, client, cast):
    app.config["OIDC_REQUIRED_ROLES"] = ["staff", "admin"]
    refused = client.post("/auth/login", json={"email": "bob@example.com", "password": PASSWORD})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "sso_required"
    assert "Example SSO" in refused.get_json()["error"]["message"]
    # a wrong password still reads as a wrong password: the refusal tells a stranger nothing
    wrong = client.post("/auth/login", json={"email": "bob@example.com", "password": "not bob's password"})
    assert wrong.status_code == 401
    allowed = client.post("/auth/login", json={"email": "carol@example.com", "password": PASSWORD})
    assert allowed.status_code == 200 and allowed.get_json()["access_token"]
    # bob's password session from before the setting ends at its next refresh
    again = client.post("/auth/refresh", json={"refresh_token": cast.tokens["bob"]["refresh_token"]})
    assert again.status_code == 401 and again.get_json()["error"]["code"] == "sso_required"


def test_sso_only_staff_still_sign_in_with_sso_and_keep_their_session(app, client, idp):
    app.config["OIDC_REQUIRED_ROLES"] = ["staff", "admin"]
    person(idp, "lee-1", email="lee@example.com", email_verified=True, groups=["ops"])
    landing(sso_sign_in(client, "lee-1"))
    assert me(client)["role"] == "staff"
    assert me(client)["role"] == "staff"  # refreshed again: an SSO session stays one


def test_the_start_and_the_callback_count_against_the_sign_in_limit(app, client, idp):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = 3
    app.config["CLOCK"] = FrozenClock()  # one window of the limit, wherever the minute turns
    person(idp, "max-1", email="max@example.com", email_verified=True)
    assert landing(sso_sign_in(client, "max-1"))["sso"] == "done"  # a start and a callback: two
    started = start(client)  # the third
    assert started.status_code == 302
    back = at_provider(started.headers["Location"], "max-1")
    assert landing(start(client))["sso_error"] == "rate_limited"
    assert landing(client.get("/auth/oidc/callback", query_string=back))["sso_error"] == "rate_limited"
    assert client.post("/auth/login", json={"email": "max@example.com", "password": PASSWORD}).status_code == 429


def test_an_id_token_is_refused_when_its_nonce_is_not_the_one_this_sign_in_sent(app, idp):
    from polystatus.errors import Unauthorized
    from users.sso.provider import Provider

    provider = Provider(app.config)
    redirect_uri = app.config["OIDC_REDIRECT_URL"]
    url = provider.authorization(redirect_uri=redirect_uri, state="s" * 43, nonce="the-nonce-we-sent",
                                 code_verifier="v" * 50)
    person(idp, "nonce-1", email="nonce@example.com", email_verified=True)
    back = at_provider(url, "nonce-1")
    with pytest.raises(Unauthorized) as refused:
        provider.identity(code=back["code"], redirect_uri=redirect_uri, code_verifier="v" * 50,
                          nonce="another-nonce")
    assert refused.value.code == "sso_failed"


def test_an_id_token_verifies_against_the_providers_keys_with_its_issuer_and_audience(app, idp):
    from users.sso.provider import Provider

    provider = Provider(app.config)
    redirect_uri = app.config["OIDC_REDIRECT_URL"]
    url = provider.authorization(redirect_uri=redirect_uri, state="t" * 43, nonce="n" * 20, code_verifier="w" * 50)
    person(idp, "keys-1", email="keys@example.com", email_verified=True, groups=["ops"])
    back = at_provider(url, "keys-1")
    claims, userinfo, _ = provider.identity(code=back["code"], redirect_uri=redirect_uri, code_verifier="w" * 50,
                                            nonce="n" * 20)
    assert claims["iss"] == idp and claims["aud"] in ("polystatus", ["polystatus"]) and claims["sub"] == "keys-1"
    assert claims["nonce"] == "n" * 20 and userinfo["sub"] == "keys-1"


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "console"])
def test_the_round_trip_never_lands_on_another_site(client, idp, elsewhere):
    person(idp, "pat-1", email="pat@example.com", email_verified=True)
    assert landing(sso_sign_in(client, "pat-1", elsewhere)) == {"sso": "done"}


# --- the link by the provider's subject ------------------------------------------------------

def test_an_email_changed_at_the_provider_still_reaches_the_same_account_and_the_email_follows(client, idp):
    person(idp, "quinn-1", email="quinn@example.com", email_verified=True, groups=["ops"])
    landing(sso_sign_in(client, "quinn-1"))
    first = me(client)
    person(idp, "quinn-1", email="Quinn.New@Example.com", email_verified=True, groups=["ops"])
    landing(sso_sign_in(client, "quinn-1"))
    account = me(client)
    assert (account["id"], account["email"]) == (first["id"], "quinn.new@example.com")
    # the old address is free again, and the new one is this account's for a password reset or a sign-up
    taken = client.post("/users", json={"email": "quinn.new@example.com", "password": PASSWORD})
    assert taken.status_code == 409
    assert client.post("/users", json={"email": "quinn@example.com", "password": PASSWORD}).status_code == 201


def test_an_unverified_new_email_still_signs_in_to_the_linked_account_and_keeps_the_old_email(client, idp):
    person(idp, "rita-1", email="rita@example.com", email_verified=True)
    landing(sso_sign_in(client, "rita-1"))
    first = me(client)
    person(idp, "rita-1", email="rita@elsewhere.example", email_verified=False)
    assert landing(sso_sign_in(client, "rita-1"))["sso"] == "done"
    assert (me(client)["id"], me(client)["email"]) == (first["id"], "rita@example.com")


def test_a_new_email_that_another_account_has_is_refused_clearly_and_changes_nothing(app, client, cast, idp):
    person(idp, "sam-1", email="sam@example.com", email_verified=True)
    landing(sso_sign_in(client, "sam-1"))
    sam = me(client)
    person(idp, "sam-1", email="carol@example.com", email_verified=True)
    browser = app.test_client()  # a fresh browser: no session left over from the first sign-in
    assert landing(sso_sign_in(browser, "sam-1"))["sso_error"] == "sso_email_taken"
    assert browser.post("/auth/refresh", json={}, headers=ORIGIN).status_code == 401
    assert me(client)["email"] == "sam@example.com" and me(client)["id"] == sam["id"]
    assert me_of(client, cast, "carol")["email"] == "carol@example.com"


def test_an_account_linked_to_one_subject_is_not_reached_by_another_with_the_same_email(app, client, idp):
    person(idp, "tess-1", email="tess@example.com", email_verified=True)
    landing(sso_sign_in(client, "tess-1"))
    # the provider hands the address to someone else (tess-1 has not signed in since)
    person(idp, "tess-2", email="tess@example.com", email_verified=True, groups=["it"])
    browser = app.test_client()
    assert landing(sso_sign_in(browser, "tess-2"))["sso_error"] == "sso_linked_elsewhere"
    assert browser.post("/auth/refresh", json={}, headers=ORIGIN).status_code == 401


def test_the_account_tells_how_it_signs_in_sso_without_password_or_both_or_password_only(app, client, cast, idp):
    person(idp, "uma-1", email="uma@example.com", email_verified=True)
    landing(sso_sign_in(client, "uma-1"))
    uma = client.get("/auth/oidc/account", headers=bearer(client)).get_json()
    assert uma == {"sso": True, "provider": "Example SSO", "linked_at": uma["linked_at"], "password": False,
                   "sso_only": False}
    assert uma["linked_at"].endswith("Z") or "+00:00" in uma["linked_at"]
    carol = client.get("/auth/oidc/account", headers=cast.headers("carol")).get_json()
    assert carol == {"sso": False, "provider": None, "linked_at": None, "password": True, "sso_only": False}
    person(idp, "bob-2", email="bob@example.com", email_verified=True, groups=["ops"])
    landing(sso_sign_in(client, "bob-2"))
    bob = client.get("/auth/oidc/account", headers=cast.headers("bob")).get_json()
    assert (bob["sso"], bob["provider"], bob["password"]) == (True, "Example SSO", True)
    app.config["OIDC_REQUIRED_ROLES"] = ["staff", "admin"]
    assert client.get("/auth/oidc/account", headers=cast.headers("bob")).get_json()["sso_only"] is True
    assert client.get("/auth/oidc/account").status_code == 401


def test_a_deleted_account_frees_its_subject_the_next_sign_in_makes_a_new_account(client, idp, redis_url):
    person(idp, "vic-1", email="vic@example.com", email_verified=True)
    landing(sso_sign_in(client, "vic-1"))
    vic = me(client)
    assert client.delete(f"/users/{vic['id']}", headers=bearer(client)).status_code == 204
    assert not [k for k in redis.Redis.from_url(redis_url).keys("sso-*") if not k.startswith(b"sso-state:")]
    landing(sso_sign_in(client, "vic-1"))
    again = me(client)
    assert again["email"] == "vic@example.com" and again["id"] != vic["id"]


# --- signing out of the provider too (OpenID Connect RP-Initiated Logout) ------------------------

def logout_query(answer) -> dict:
    assert answer.status_code == 200, (answer.status_code, answer.get_data(as_text=True))
    assert answer.headers["Cache-Control"] == "no-store"
    url = urlsplit(answer.get_json()["logout_url"])
    return {"endpoint": f"{url.scheme}://{url.netloc}{url.path}",
            **{k: v[0] for k, v in parse_qs(url.query).items()}}


def test_signing_out_of_an_sso_session_sends_the_browser_to_end_it_at_the_provider_too(client, idp, redis_url):
    person(idp, "sam-1", email="sam@example.com", email_verified=True)
    started = start(client)
    nonce = parse_qs(urlsplit(started.headers["Location"]).query)["nonce"][0]
    landing(client.get("/auth/oidc/callback", query_string=at_provider(started.headers["Location"], "sam-1")))
    me(client)  # the page refreshes its token first: the session's hint follows the new refresh token
    query = logout_query(client.post("/auth/logout", json={}, headers=ORIGIN))
    assert query["endpoint"] == f"{idp}/oauth2/end_session"
    assert query["client_id"] == "polystatus" and query["post_logout_redirect_uri"] == f"{PUBLIC}/"
    assert len(query["state"]) >= 32
    # the hint is the ID token the provider issued for this very sign-in (its nonce), signed by it
    hint = jwt.decode(query["id_token_hint"], KeySet.import_key_set(httpx.get(f"{idp}/jwks").json()))
    assert (hint.claims["iss"], hint.claims["sub"], hint.claims["nonce"]) == (idp, "sam-1", nonce)
    assert hint.claims["aud"] in ("polystatus", ["polystatus"])
    # the session is gone here, and its ID token with it
    assert client.post("/auth/refresh", json={}, headers=ORIGIN).status_code == 401
    assert redis.Redis.from_url(redis_url).keys("refresh-id-token:*") == []
    # the provider's end-session page sends the browser back to the status page, with the state
    page = httpx.get(f"{idp}/oauth2/end_session", params={k: v for k, v in query.items() if k != "endpoint"})
    assert page.status_code == 200 and query["id_token_hint"] in page.text
    back = httpx.post(f"{idp}/oauth2/end_session/confirm", data={"redirect_uri": f"{PUBLIC}/?state={query['state']}"})
    assert back.status_code == 302 and back.headers["location"] == f"{PUBLIC}/?state={query['state']}"


def test_a_password_session_signs_out_here_only(client, cast):
    signed_in = client.post("/auth/login", json={"email": "carol@example.com", "password": PASSWORD,
                                                 "session": "cookie"})
    assert signed_in.status_code == 200
    answer = client.post("/auth/logout", json={}, headers=ORIGIN)
    assert answer.status_code == 204 and answer.get_data() == b""
    by_body = client.post("/auth/logout", json={"refresh_token": cast.tokens["carol"]["refresh_token"]})
    assert by_body.status_code == 204


def test_an_sso_session_signed_out_with_a_token_it_already_exchanged_ends_but_learns_no_id_token(app, client,
                                                                                                  idp, redis_url):
    person(idp, "kim-1", email="kim@example.com", email_verified=True)
    landing(sso_sign_in(client, "kim-1"))
    first = client.get_cookie("polystatus_refresh", path="/auth").value
    me(client)  # exchanged: the cookie now holds the next token
    app.config["REFRESH_REUSE_GRACE"] = -1  # a copy kept by someone else, used well after
    answer = client.post("/auth/logout", json={"refresh_token": first})
    assert answer.status_code == 204
    assert client.post("/auth/refresh", json={}, headers=ORIGIN).status_code == 401  # the session ended all the same
    assert redis.Redis.from_url(redis_url).keys("refresh-id-token:*") == []


@pytest.fixture(scope="module")
def idp_without_logout():
    """A provider whose discovery document names no end_session_endpoint (many do not)."""
    provider = provider_app(require_nonce=True)

    @provider.after_request
    def no_end_session(response):
        from flask import request
        if request.path == "/.well-known/openid-configuration":
            document = response.get_json()
            document.pop("end_session_endpoint")
            response.set_data(json.dumps(document))
        return response

    server = make_server("localhost", 0, provider, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()


def test_without_an_end_session_endpoint_an_sso_session_signs_out_here_only(base_config, comms, idp_without_logout):
    app = create_app({**base_config, "COMMS_URL": comms.url, "PUBLIC_URL": PUBLIC, "CORS_ORIGINS": [PUBLIC],
                      "SESSION_COOKIE_PATH": "/auth", **oidc_settings(idp_without_logout)})
    client = app.test_client()
    person(idp_without_logout, "ned-1", email="ned@example.com", email_verified=True)
    landing(sso_sign_in(client, "ned-1"))
    assert me(client)["email"] == "ned@example.com"
    answer = client.post("/auth/logout", json={}, headers=ORIGIN)
    assert answer.status_code == 204 and answer.get_data() == b""
    assert client.post("/auth/refresh", json={}, headers=ORIGIN).status_code == 401


def test_the_post_logout_landing_is_a_setting_defaulting_to_the_public_page(idp):
    assert oidc_settings(idp)["OIDC_POST_LOGOUT_REDIRECT_URL"] == f"{PUBLIC}/"
    chosen = oidc_settings(idp, OIDC_POST_LOGOUT_REDIRECT_URL="https://status.example.com/login")
    assert chosen["OIDC_POST_LOGOUT_REDIRECT_URL"] == "https://status.example.com/login"
    with pytest.raises(settings.s.SettingsError):
        oidc_settings(idp, OIDC_POST_LOGOUT_REDIRECT_URL="javascript:alert(1)")
