"""Token verification against a real JWKS served over HTTP on loopback."""
import base64
import json

import pytest


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 201), ("alice", 201)])
def test_writes_need_the_staff_role(client, as_, who, expected):
    assert client.post("/things", json={"name": "n"}, headers=as_(who)).status_code == expected


def test_it_rejects_an_expired_token(client, keyset):
    token = keyset.token("bob", expires_in=-10)
    response = client.post("/things", json={"name": "n"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_expired"


def test_it_rejects_a_token_signed_by_another_key(client, as_):
    response = client.post("/things", json={"name": "n"}, headers=as_("mallory"))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_invalid"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_it_rejects_a_tampered_token(client, keyset):
    header, payload, signature = keyset.token("carol").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    forged = f"{header}.{_b64(claims)}.{signature}"
    assert client.post("/things", json={"name": "n"}, headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_it_rejects_alg_none(client, keyset):
    header = {"alg": "none", "typ": "JWT", "kid": keyset.kid}
    claims = {"sub": "eve", "role": "admin", "iat": 1, "exp": 4102444800, "jti": "x", "iss": "polystatus-users"}
    token = f"{_b64(header)}.{_b64(claims)}."
    assert client.post("/things", json={"name": "n"}, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_it_rejects_hs256_signed_with_the_public_key(client, keyset):
    """The classic key-confusion attack: HMAC with the public key as the secret."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    public_pem = keyset.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = {"sub": "eve", "role": "admin", "iat": 1, "exp": 4102444800, "jti": "x", "iss": "polystatus-users"}
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': keyset.kid})}.{_b64(claims)}"
    signature = base64.urlsafe_b64encode(
        hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    token = f"{signing_input}.{signature}"
    assert client.post("/things", json={"name": "n"}, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_it_rejects_a_token_from_another_issuer(client, keyset):
    token = keyset.token("alice", iss="someone-else")
    assert client.post("/things", json={"name": "n"}, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_service_token_is_not_an_admin_token(client, as_):
    assert client.post("/things", json={"name": "n"}, headers=as_("svc")).status_code == 403


def test_an_unreachable_key_set_fails_closed(base_config, keyset):
    from conftest import build
    from polystatus.testing import free_port

    app = build({**base_config, "JWKS_URL": f"http://127.0.0.1:{free_port()}/jwks.json", "OUTBOUND_TIMEOUT": 0.5})
    response = app.test_client().post("/things", json={"name": "n"}, headers={"Authorization": f"Bearer {keyset.token('alice')}"})
    # Closed (nothing done), and said as what it is: the keys are away for now, the token may
    # be good; try again shortly (not 401, which would send a script to sign in again).
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.get_json()["error"]["code"] == "token_unverifiable"


def test_a_remembered_token_is_refused_once_it_expires(client, keyset):
    import time

    token = keyset.token("bob", expires_in=2)
    assert client.post("/things", json={}, headers={"Authorization": f"Bearer {token}"}).status_code != 401
    time.sleep(2.2)
    response = client.post("/things", json={}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_expired"
