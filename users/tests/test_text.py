"""Arbitrary text at every text field of users, and every format that shows it (issue 21)."""
import base64
import json

from conftest import PASSWORD
from polystatus.fuzzing import (
    LogCapture,
    Route,
    Snapshot,
    fuzz_text,
    strict_json,
    text_coverage,
)
from polystatus.text import problem

PASSKEY_CLIENT_DATA = base64.urlsafe_b64encode(json.dumps(
    {"type": "webauthn.create", "challenge": "bm90LWlzc3VlZA", "origin": "https://status.example.com"}).encode()
).rstrip(b"=").decode()


def routes(cast=None, links=None) -> dict:
    """A valid request for every write route of users (checked complete below). Sign-in answers
    401 to an email or password that is valid text but not the right one, a link's route 400 to
    a token that is not one."""
    refresh = cast.tokens["carol"]["refresh_token"] if cast else "unused"
    links = links or {"signup": "unused", "reset": "unused"}
    service = {}
    if cast:
        token = cast.client.post("/auth/token", json={"grant_type": "client_credentials", "client_id": "comms",
                                                      "client_secret": "comms-secret-0123456789"}).json
        service = {"Authorization": f"Bearer {token['access_token']}"}
    return {
        ("POST", "/auth/signup"): Route(body={"email": "erin@example.com", "password": "another long passphrase",
                                              "display_name": "Erin", "lang": "fr"}),
        ("POST", "/auth/signup/confirm"): Route(body={"token": links["signup"]}, also=(400,)),
        ("POST", "/auth/reset"): Route(body={"email": "carol@example.com"}),
        ("POST", "/auth/reset/confirm"): Route(body={"token": links["reset"], "password": "a brand new passphrase 7"},
                                               also=(400,)),
        ("POST", "/users"): Route(body={"email": "dan@example.com", "password": "another long passphrase",
                                        "display_name": "Dan"}),
        ("POST", "/auth/login"): Route(body={"email": "carol@example.com", "password": PASSWORD}, also=(401,)),
        ("POST", "/auth/token"): Route(body={"grant_type": "client_credentials", "client_id": "comms",
                                             "client_secret": "comms-secret-0123456789"}, also=(401,)),
        ("POST", "/auth/logout"): Route(body={"refresh_token": refresh}),
        ("POST", "/auth/refresh"): Route(body={"refresh_token": refresh}, also=(401,)),
        ("POST", "/page-tokens"): Route(body={"name": "intranet dashboard"}),
        ("POST", "/page-tokens/check"): Route(body={"token": "psr_not-a-token"}, also=(404,), headers=service or None),
        ("POST", "/api-keys"): Route(body={"name": "nightly backup", "scopes": ["incidents:read"]}),
        # a text that is not a key is simply not active (200)
        ("POST", "/auth/api-keys/introspect"): Route(
            body={"key": "psk_not-a-key"}, headers=service or None),
        # a text that is not the app's code is named (422); without a set-up under way, 400
        ("POST", "/auth/totp/enable"): Route(body={"code": "123456"}, also=(400,), prepare=lambda client: (
            client.post("/auth/totp/setup", headers=cast.headers("alice")), {})[1]),
        # alice has not turned it on: 409 after the fields pass
        ("POST", "/auth/totp/disable"): Route(body={"code": "123456", "recovery_code": "abcde-abcde"}, also=(409,)),
        ("POST", "/auth/login/totp"): Route(body={"mfa_token": "x" * 20, "code": "123456", "recovery_code": "abcde"},
                                            also=(401,)),
        # well-formed WebAuthn JSON to a challenge never issued: 400 once every field passes
        ("POST", "/auth/passkeys/register"): Route(body={"name": "work laptop", "credential": {
            "id": "AAEC", "rawId": "AAEC", "type": "public-key", "authenticatorAttachment": "platform",
            "clientExtensionResults": {"credProps": {"rk": True}},
            "response": {"clientDataJSON": PASSKEY_CLIENT_DATA, "attestationObject": "o2NmbXRkbm9uZQ",
                         "transports": ["internal"]}}}, also=(400,)),
        ("POST", "/auth/passkeys/login"): Route(body={"session": "cookie", "credential": {
            "id": "AAEC", "rawId": "AAEC", "type": "public-key", "clientExtensionResults": {},
            "response": {"clientDataJSON": PASSKEY_CLIENT_DATA, "authenticatorData": "AAEC", "signature": "AAEC",
                         "userHandle": "AAEC"}}}, also=(400,)),
        ("PATCH", "/users/{user_id}"): Route(
            body={"display_name": "Carol", "email": "carol.new@example.com", "password": "a new long passphrase",
                  "current_password": PASSWORD},
            prepare=lambda client: {"user_id": cast.ids["carol"]}),
    }


def every_output_parses(client, cast) -> None:
    strict_json(client.get("/users?per_page=200", headers=cast.headers("alice")).data)
    strict_json(client.get(f"/users/{cast.ids['carol']}", headers=cast.headers("alice")).data)


def test_every_write_route_has_a_line_in_the_table_and_every_text_field_a_text_type(client):
    assert text_coverage(client.get("/openapi.json").json, routes()) == []


def test_every_text_field_takes_any_text_or_names_it_and_every_output_still_parses(app, client, cast, comms,
                                                                                    redis_url):
    app.config.update(REGISTER_LIMIT_PER_ADDRESS=10**6, LOGIN_LIMIT_PER_ADDRESS=10**6, LOGIN_LIMIT_PER_ACCOUNT=10**6,
                      SIGNUP_LIMIT_PER_ADDRESS=10**6, RESET_LIMIT_PER_ADDRESS=10**6, EMAIL_LINKS_PER_ADDRESS=10**6)
    assert client.post("/auth/signup", json={"email": "frank@example.com", "password": PASSWORD}).status_code == 202
    assert client.post("/auth/reset", json={"email": "bob@example.com"}).status_code == 202
    links = {"signup": comms.token_of("frank@example.com"), "reset": comms.token_of("bob@example.com")}
    snapshot = Snapshot(redis_url)

    def outputs():
        every_output_parses(client, cast)
        for message in comms.messages:  # what users asks comms to mail: a template, an address, a link
            assert problem(message["to"]) is None and problem(message["link"]) is None
        comms.messages.clear()

    with LogCapture() as logs:
        # argon2 makes each accepted password cost ~50 ms: fewer random examples here
        assert fuzz_text(client, routes(cast, links), headers=cast.headers("alice"), reset=snapshot.restore,
                         outputs=outputs, examples=2) >= 12
        logs.check()


def test_a_display_name_is_stored_in_nfc_and_may_not_hold_a_line_break(client):
    response = client.post("/users", json={"email": "dan@example.com", "password": "another long passphrase",
                                           "display_name": "Zoe\u0308"})
    assert response.status_code == 201 and response.json["display_name"] == "Zo\u00eb"
    response = client.post("/users", json={"email": "eve@example.com", "password": "another long passphrase",
                                           "display_name": "Eve\nBcc: x@example.com"})
    assert response.status_code == 422 and "line break" in response.json["error"]["details"]["json"]["display_name"][0]


def test_an_email_address_with_a_lone_surrogate_is_refused(client):
    raw = '{"email": "dan@exa\\ud800mple.com", "password": "another long passphrase"}'
    response = client.post("/users", data=raw, content_type="application/json")
    assert response.status_code == 422 and "email" in response.json["error"]["details"]["json"]
