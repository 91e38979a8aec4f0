"""Passkeys (issue 20): added from the account, listed, removed, and signing in with one, against
real WebAuthn payloads made by a software authenticator (an ES256 key from ``cryptography``,
"none" attestation, CBOR through py_webauthn's own encoder), as a browser would send them."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct

import jwt
import pytest
from conftest import PASSWORD
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from polystatus.clock import FrozenClock, isoformat
from webauthn.helpers import encode_cbor

RP_ID, ORIGIN = "status.example.com", "https://status.example.com"
UP, UV, AT = 0x01, 0x04, 0x40


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Authenticator:
    """One discoverable credential on a software authenticator: it answers the server's options
    as navigator.credentials.create() and .get() would (their toJSON() forms), and can be told to
    lie about the origin, the RP id, user verification or its counter."""

    def __init__(self, *, counter: int = 0):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.counter = counter
        self.user_handle: bytes | None = None

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return encode_cbor({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def create(self, options: dict, *, origin: str = ORIGIN, rp_id: str | None = None, verified: bool = True) -> dict:
        public_key = options["publicKey"]
        self.user_handle = unb64url(public_key["user"]["id"])
        rp_hash = hashlib.sha256((rp_id or public_key["rp"]["id"]).encode()).digest()
        auth_data = (rp_hash + bytes([UP | AT | (UV if verified else 0)]) + struct.pack(">I", self.counter)
                     + bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key())
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": self.id, "rawId": self.id, "type": "public-key", "authenticatorAttachment": "platform",
                "clientExtensionResults": {"credProps": {"rk": True}},
                "response": {"clientDataJSON": b64url(self._client_data("webauthn.create", public_key["challenge"], origin)),
                             "attestationObject": b64url(attestation), "transports": ["internal", "hybrid"]}}

    def get(self, options: dict, *, origin: str = ORIGIN, rp_id: str = RP_ID, verified: bool = True,
            counter: int | None = None, challenge: str | None = None) -> dict:
        if counter is None:
            self.counter += 1 if self.counter else 0  # an authenticator that counts, counts up
            counter = self.counter
        auth_data = (hashlib.sha256(rp_id.encode()).digest() + bytes([UP | (UV if verified else 0)])
                     + struct.pack(">I", counter))
        client_data = self._client_data("webauthn.get", challenge or options["publicKey"]["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": self.id, "rawId": self.id, "type": "public-key", "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature), "userHandle": b64url(self.user_handle or b"")}}


@pytest.fixture()
def clock(app):
    clock = FrozenClock()
    app.config["CLOCK"] = clock
    return clock


def register(client, cast, who: str, device: Authenticator, *, name: str = "work laptop", **lie):
    options = client.post("/auth/passkeys/register/options", headers=cast.headers(who))
    assert options.status_code == 200, options.json
    return client.post("/auth/passkeys/register", json={"name": name, "credential": device.create(options.json, **lie)},
                       headers=cast.headers(who))


def added(client, cast, who: str, device: Authenticator) -> dict:
    response = register(client, cast, who, device)
    assert response.status_code == 201, response.json
    return response.json


def sign_in(client, device: Authenticator, **lie):
    options = client.post("/auth/passkeys/login/options")
    assert options.status_code == 200, options.json
    return client.post("/auth/passkeys/login", json={"credential": device.get(options.json, **lie)})


def error_code(response) -> str:
    return response.json["error"]["code"]


def stream(app) -> list[dict]:
    return [{**fields, "data": json.loads(fields["data"])} for _, fields in app.extensions["redis"].xrange("events:users")]


def test_a_person_adds_a_passkey_and_signs_in_with_it_without_an_email(client, cast, clock):
    device = Authenticator()
    passkey = added(client, cast, "carol", device)
    assert passkey["id"] == device.id and passkey["name"] == "work laptop" and passkey["last_used_at"] is None
    assert passkey["transports"] == ["hybrid", "internal"]
    listed = client.get("/auth/passkeys", headers=cast.headers("carol")).json
    assert [p["id"] for p in listed["passkeys"]] == [device.id] and listed["enabled"] is True
    assert listed["origins"] == [ORIGIN] and client.get("/auth/passkeys/info").json == {"enabled": True, "origins": [ORIGIN]}
    assert "public_key" not in listed["passkeys"][0]

    clock.advance(seconds=60)
    answer = sign_in(client, device)
    assert answer.status_code == 200, answer.json
    assert jwt.decode(answer.json["access_token"], options={"verify_signature": False})["sub"] == cast.ids["carol"]
    assert client.post("/auth/refresh", json={"refresh_token": answer.json["refresh_token"]}).status_code == 200
    listed = client.get("/auth/passkeys", headers=cast.headers("carol")).json["passkeys"]
    assert listed[0]["last_used_at"] == isoformat(clock.now())
    # and again: a counter of 0 (synced passkeys keep none) is not a clone
    assert sign_in(client, device).status_code == 200


def test_the_options_require_user_verification_and_a_discoverable_credential_and_exclude_known_ones(client, cast):
    device = Authenticator()
    added(client, cast, "carol", device)
    options = client.post("/auth/passkeys/register/options", headers=cast.headers("carol"))
    assert options.headers["Cache-Control"] == "no-store"
    public_key = options.json["publicKey"]
    assert public_key["rp"] == {"id": RP_ID, "name": "PolyStatus"}
    assert unb64url(public_key["user"]["id"]) == cast.ids["carol"].encode() and public_key["user"]["name"] == "carol@example.com"
    assert public_key["authenticatorSelection"]["userVerification"] == "required"
    assert public_key["authenticatorSelection"]["residentKey"] == "required"
    assert public_key["attestation"] == "none" and len(unb64url(public_key["challenge"])) == 32
    assert [c["id"] for c in public_key["excludeCredentials"]] == [device.id]
    login = client.post("/auth/passkeys/login/options").json["publicKey"]
    assert login["rpId"] == RP_ID and login["userVerification"] == "required" and not login.get("allowCredentials")


def test_with_two_factor_on_a_passkey_signs_in_with_no_code_asked(client, cast, clock):
    import pyotp

    setup = client.post("/auth/totp/setup", headers=cast.headers("carol")).json
    code = pyotp.TOTP(setup["secret"]).at(clock.now().timestamp())
    assert client.post("/auth/totp/enable", json={"code": code}, headers=cast.headers("carol")).status_code == 201
    device = Authenticator()
    added(client, cast, "carol", device)
    answer = sign_in(client, device)
    assert answer.status_code == 200 and answer.json["access_token"] and "mfa_required" not in answer.json


def test_a_passkey_session_keeps_the_role_that_two_factor_enforcement_would_withhold(app, client, cast):
    device = Authenticator()
    added(client, cast, "bob", device)
    app.config["TOTP_REQUIRED_ROLES"] = ["staff", "admin"]
    tokens = sign_in(client, device).json
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["role"] == "staff"
    refreshed = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json
    assert jwt.decode(refreshed["access_token"], options={"verify_signature": False})["role"] == "staff"
    # a password alone still makes bob a user until he sets TOTP up
    password = client.post("/auth/login", json={"email": "bob@example.com", "password": PASSWORD}).json
    assert jwt.decode(password["access_token"], options={"verify_signature": False})["role"] == "user"


def test_a_browser_sign_in_keeps_the_session_in_the_cookie(client, cast):
    device = Authenticator()
    added(client, cast, "carol", device)
    options = client.post("/auth/passkeys/login/options").json
    answer = client.post("/auth/passkeys/login", json={"credential": device.get(options), "session": "cookie"})
    assert answer.status_code == 200 and "refresh_token" not in answer.json
    assert "polystatus_refresh=" in answer.headers.get("Set-Cookie", "")


def test_an_answer_to_a_challenge_never_issued_is_refused(client, cast):
    device = Authenticator()
    options = client.post("/auth/passkeys/register/options", headers=cast.headers("carol")).json
    forged = {"publicKey": {**options["publicKey"], "challenge": b64url(secrets.token_bytes(32))}}
    response = client.post("/auth/passkeys/register", json={"name": "k", "credential": device.create(forged)},
                           headers=cast.headers("carol"))
    assert response.status_code == 400 and error_code(response) == "passkey_challenge"
    added(client, cast, "carol", device)
    response = sign_in(client, device, challenge=b64url(secrets.token_bytes(32)))
    assert response.status_code == 400 and error_code(response) == "passkey_challenge"


def test_a_challenge_is_answered_once(client, cast):
    device = Authenticator()
    options = client.post("/auth/passkeys/register/options", headers=cast.headers("carol")).json
    credential = device.create(options)
    first = client.post("/auth/passkeys/register", json={"name": "a", "credential": credential}, headers=cast.headers("carol"))
    again = client.post("/auth/passkeys/register", json={"name": "b", "credential": credential}, headers=cast.headers("carol"))
    assert first.status_code == 201 and again.status_code == 400 and error_code(again) == "passkey_challenge"
    options = client.post("/auth/passkeys/login/options").json
    assertion = device.get(options)
    assert client.post("/auth/passkeys/login", json={"credential": assertion}).status_code == 200
    replay = client.post("/auth/passkeys/login", json={"credential": assertion})
    assert replay.status_code == 400 and error_code(replay) == "passkey_challenge"


def test_a_challenge_lives_five_minutes_at_most(client, cast, app):
    options = client.post("/auth/passkeys/register/options", headers=cast.headers("carol")).json
    r = app.extensions["redis"]
    keys = r.keys("passkey-challenge:*")
    assert len(keys) == 1 and 0 < r.ttl(keys[0]) <= 300
    r.delete(*keys)  # what the five minutes do
    response = client.post("/auth/passkeys/register", json={"name": "k", "credential": Authenticator().create(options)},
                           headers=cast.headers("carol"))
    assert response.status_code == 400 and error_code(response) == "passkey_challenge"


def test_a_registration_challenge_of_one_person_registers_nothing_for_another(client, cast):
    options = client.post("/auth/passkeys/register/options", headers=cast.headers("carol")).json
    response = client.post("/auth/passkeys/register", json={"name": "k", "credential": Authenticator().create(options)},
                           headers=cast.headers("bob"))
    assert response.status_code == 400 and error_code(response) == "passkey_challenge"
    # nor does a sign-in challenge register, or a registration one sign in
    login = client.post("/auth/passkeys/login/options").json
    login["publicKey"]["rp"] = {"id": RP_ID}
    login["publicKey"]["user"] = {"id": b64url(b"x")}
    response = client.post("/auth/passkeys/register", json={"name": "k", "credential": Authenticator().create(login)},
                           headers=cast.headers("carol"))
    assert response.status_code == 400 and error_code(response) == "passkey_challenge"


def test_an_answer_made_on_another_origin_is_refused(client, cast):
    device = Authenticator()
    response = register(client, cast, "carol", device, origin="https://status.example.com.evil.test")
    assert response.status_code == 401 and error_code(response) == "passkey_invalid"
    assert client.get("/auth/passkeys", headers=cast.headers("carol")).json["passkeys"] == []
    added(client, cast, "carol", device)
    response = sign_in(client, device, origin="https://evil.test")
    assert response.status_code == 401 and error_code(response) == "passkey_invalid"


def test_an_answer_for_another_relying_party_is_refused(client, cast):
    device = Authenticator()
    response = register(client, cast, "carol", device, rp_id="example.com")
    assert response.status_code == 401 and error_code(response) == "passkey_invalid"
    added(client, cast, "carol", device)
    response = sign_in(client, device, rp_id="evil.test")
    assert response.status_code == 401 and error_code(response) == "passkey_invalid"


def test_a_passkey_without_user_verification_is_refused(client, cast):
    device = Authenticator()
    response = register(client, cast, "carol", device, verified=False)
    assert response.status_code == 401 and error_code(response) == "passkey_invalid"
    added(client, cast, "carol", device)
    response = sign_in(client, device, verified=False)
    assert response.status_code == 401 and error_code(response) == "passkey_invalid"


def test_a_signature_by_another_key_is_refused(client, cast):
    device = Authenticator()
    added(client, cast, "carol", device)
    impostor = Authenticator()
    impostor.credential_id, impostor.user_handle = device.credential_id, device.user_handle
    response = sign_in(client, impostor)
    assert response.status_code == 401 and error_code(response) == "passkey_invalid"


def test_a_sign_count_that_goes_back_is_refused_as_a_clone(client, cast, caplog):
    device = Authenticator(counter=5)
    added(client, cast, "carol", device)
    assert sign_in(client, device).status_code == 200  # 6
    assert sign_in(client, device).status_code == 200  # 7
    for stale in (7, 3, 0):
        response = sign_in(client, device, counter=stale)
        assert response.status_code == 401 and error_code(response) == "passkey_cloned", stale
    assert "cloned" in caplog.text
    assert sign_in(client, device).status_code == 200  # 8: the real device goes on


def test_a_removed_passkey_no_longer_signs_in(client, cast, app):
    device = Authenticator()
    added(client, cast, "carol", device)
    assert client.delete(f"/auth/passkeys/{device.id}", headers=cast.headers("carol")).status_code == 204
    assert client.get("/auth/passkeys", headers=cast.headers("carol")).json["passkeys"] == []
    response = sign_in(client, device)
    assert response.status_code == 401 and error_code(response) == "passkey_unknown"
    assert client.delete(f"/auth/passkeys/{device.id}", headers=cast.headers("carol")).status_code == 404


def test_someone_elses_passkey_cannot_be_removed(client, cast):
    device = Authenticator()
    added(client, cast, "carol", device)
    for who in ("bob", "alice"):
        response = client.delete(f"/auth/passkeys/{device.id}", headers=cast.headers(who))
        assert response.status_code == 404 and error_code(response) == "not_found"
    assert client.delete(f"/auth/passkeys/{device.id}").status_code == 401
    assert sign_in(client, device).status_code == 200


def test_one_authenticator_is_registered_once(client, cast):
    device = Authenticator()
    added(client, cast, "carol", device)
    again = register(client, cast, "bob", device)
    assert again.status_code == 409 and error_code(again) == "passkey_exists"


def test_an_assertion_naming_another_account_is_refused(client, cast):
    device = Authenticator()
    added(client, cast, "carol", device)
    device.user_handle = cast.ids["bob"].encode()
    response = sign_in(client, device)
    assert response.status_code == 401 and error_code(response) == "passkey_invalid"


def test_adding_and_removing_a_passkey_is_published_and_audited_without_its_key(app, client, cast):
    device = Authenticator()
    added(client, cast, "carol", device)
    sign_in(client, device)
    client.delete(f"/auth/passkeys/{device.id}", headers=cast.headers("carol"))
    carol = cast.ids["carol"]
    events = [(e["type"], e["data"]) for e in stream(app) if e["type"].startswith("user.passkey")]
    assert events == [("user.passkey_added", {"user_id": carol, "passkey_id": device.id, "name": "work laptop"}),
                      ("user.passkey_removed", {"user_id": carol, "passkey_id": device.id, "by": carol})]
    audited = {e["data"]["action"]: e["data"] for e in stream(app) if e["type"] == "audit.recorded"
               and e["data"]["object"]["type"] in ("passkeys", "auth") and e["data"]["action"] != "login"}
    assert audited["create"]["object"] == {"type": "passkeys", "id": device.id}
    assert audited["create"]["actor"]["id"] == carol and audited["create"]["after"]["name"] == "work laptop"
    assert audited["delete"]["before"]["name"] == "work laptop"
    assert audited["passkey_login"]["object"] == {"type": "auth", "id": carol}
    assert audited["passkey_login"]["after"]["passkey_id"] == device.id
    raw = json.dumps([e["data"] for e in stream(app)])
    assert b64url(device._cose_key()) not in raw and "attestationObject" not in raw and "clientDataJSON" not in raw


def test_deleting_an_account_removes_its_passkeys(app, client, cast):
    device = Authenticator()
    added(client, cast, "carol", device)
    assert client.delete(f"/users/{cast.ids['carol']}", headers=cast.headers("alice")).status_code == 204
    assert app.extensions["redis"].keys("passkey*") == []
    assert sign_in(client, device).json["error"]["code"] == "passkey_unknown"


def test_roles_that_must_use_single_sign_on_cannot_use_a_passkey(app, client, cast):
    device = Authenticator()
    added(client, cast, "bob", device)
    app.config.update(OIDC_REQUIRED_ROLES=["staff", "admin"], OIDC_DISPLAY_NAME="Example SSO")
    response = sign_in(client, device)
    assert response.status_code == 403 and error_code(response) == "sso_required"
    assert response.json["error"]["details"] == {"provider": "Example SSO"}
    response = client.post("/auth/passkeys/register/options", headers=cast.headers("bob"))
    assert response.status_code == 403 and error_code(response) == "sso_required"
    # a user goes on
    other = Authenticator()
    added(client, cast, "carol", other)
    assert sign_in(client, other).status_code == 200


def test_passkey_sign_ins_share_the_per_address_limit_with_passwords(app, client, cast, clock):
    clock.advance(seconds=120)  # a new minute: the cast's own sign-ins are behind
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = 3
    statuses = [client.post("/auth/passkeys/login/options").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.post("/auth/login", json={"email": "carol@example.com", "password": PASSWORD}).status_code == 429


def test_failed_passkey_sign_ins_lock_the_account_like_wrong_passwords(app, client, cast):
    device = Authenticator()
    added(client, cast, "carol", device)
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = 2
    for _ in range(2):
        assert sign_in(client, device, verified=False).status_code == 401
    locked = sign_in(client, device)
    assert locked.status_code == 429 and locked.headers.get("Retry-After")
    assert client.post("/auth/login", json={"email": "carol@example.com", "password": PASSWORD}).status_code == 429


def test_an_api_key_cannot_manage_passkeys(client, cast):
    key = client.post("/api-keys", json={"name": "k", "scopes": ["users:write", "users:read"]},
                      headers=cast.headers("carol")).json
    headers = {"Authorization": f"Bearer {key['secret']}"}
    for method, path in (("GET", "/auth/passkeys"), ("POST", "/auth/passkeys/register/options"),
                         ("DELETE", "/auth/passkeys/abc")):
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == 403 and error_code(response) == "api_key_not_accepted", path
        assert client.open(path, method=method, json={}).status_code == 401, path  # nobody signed in


@pytest.mark.parametrize("body, field", [
    ({}, "credential"),
    ({"credential": {}}, "credential"),
    ({"credential": {"id": "a b", "rawId": "YQ", "type": "public-key", "response": {}}}, "credential"),
    ({"credential": {"id": "YQ", "rawId": "YQ", "type": "password",
                     "response": {"clientDataJSON": "YQ", "authenticatorData": "YQ", "signature": "YQ"}}}, "credential"),
    ({"credential": {"id": "YQ", "rawId": "YQ", "type": "public-key", "response": {
        "clientDataJSON": "YQ", "authenticatorData": "YQ", "signature": "Y" * 2000}}}, "credential"),
    ({"credential": {"id": "YQ", "rawId": "YQ", "type": "public-key", "response": {
        "clientDataJSON": "YQ", "authenticatorData": "YQ", "signature": "YQ"}}, "session": "forever"}, "session"),
])
def test_a_malformed_sign_in_is_named_in_the_one_error_shape(client, body, field):
    response = client.post("/auth/passkeys/login", json=body)
    assert response.status_code == 422, response.json
    assert set(response.json) >= {"error"} and response.json["error"]["code"] == "validation_error"
    assert field in json.dumps(response.json["error"]["details"])


def test_a_malformed_registration_is_named_in_the_one_error_shape(client, cast):
    credential = Authenticator().create(client.post("/auth/passkeys/register/options", headers=cast.headers("carol")).json)
    for body, field in (({"credential": credential}, "name"), ({"name": "x" * 65, "credential": credential}, "name"),
                        ({"name": "k", "credential": {**credential, "response": {"clientDataJSON": "YQ"}}},
                         "attestationObject"),
                        ({"name": "k\u202e", "credential": credential}, "name")):
        response = client.post("/auth/passkeys/register", json=body, headers=cast.headers("carol"))
        assert response.status_code == 422 and field in json.dumps(response.json["error"]["details"]), body
    # base64url that is not JSON inside: named, not a 500
    broken = {**credential, "response": {**credential["response"], "clientDataJSON": b64url(b"not json")}}
    response = client.post("/auth/passkeys/register", json={"name": "k", "credential": broken}, headers=cast.headers("carol"))
    assert response.status_code == 400 and error_code(response) == "passkey_malformed"


def test_with_no_relying_party_passkeys_are_off(app, client, cast):
    app.config.update(WEBAUTHN_RP_ID="", WEBAUTHN_ORIGINS=[])
    assert client.get("/auth/passkeys/info").json == {"enabled": False, "origins": []}
    for response in (client.post("/auth/passkeys/login/options"),
                     client.post("/auth/passkeys/register/options", headers=cast.headers("carol"))):
        assert response.status_code == 404 and error_code(response) == "passkeys_off"


def test_the_relying_party_comes_from_the_public_origin_and_a_bad_one_stops_the_start():
    from polystatus.settings import SettingsError

    from users import settings

    def webauthn(**environ):
        config = settings.load(environ)
        return config["WEBAUTHN_RP_ID"], config["WEBAUTHN_ORIGINS"]

    assert webauthn(PUBLIC_URL="https://status.example.com") == ("status.example.com", ["https://status.example.com"])
    # browsers refuse IP addresses as relying parties: the development default moves to localhost
    assert webauthn(PUBLIC_URL="http://127.0.0.1:8080") == ("localhost", ["http://localhost:8080"])
    assert webauthn(PUBLIC_URL="http://10.0.0.5:8080") == ("", [])
    assert webauthn(PUBLIC_URL="https://status.example.com", WEBAUTHN_RP_ID="example.com") == (
        "example.com", ["https://status.example.com"])
    for bad in ({"WEBAUTHN_RP_ID": "10.0.0.5"}, {"WEBAUTHN_RP_ID": "https://example.com"},
                {"PUBLIC_URL": "https://status.example.com", "WEBAUTHN_ORIGINS": "https://other.test"},
                {"PUBLIC_URL": "https://status.example.com", "WEBAUTHN_ORIGINS": "http://status.example.com"}):
        with pytest.raises(SettingsError, match="WEBAUTHN"):
            settings.load(bad)
