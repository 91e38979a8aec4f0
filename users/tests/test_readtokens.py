"""Read tokens of a private page: made by an admin (shown once), checked by a service, revoked."""


def service_headers(client) -> dict:
    token = client.post("/auth/token", json={"grant_type": "client_credentials", "client_id": "comms",
                                             "client_secret": "comms-secret-0123456789"}).json["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_makes_a_read_token_a_service_checks_it_and_revocation_ends_it(client, cast):
    made = client.post("/page-tokens", json={"name": "wallboard"}, headers=cast.headers("alice"))
    assert made.status_code == 201
    token = made.json["token"]
    assert token.startswith("psr_")
    listed = client.get("/page-tokens", headers=cast.headers("alice")).json["tokens"]
    assert [t["name"] for t in listed] == ["wallboard"] and "token" not in listed[0] and "digest" not in listed[0]
    svc = service_headers(client)
    assert client.post("/page-tokens/check", json={"token": token}, headers=svc).status_code == 204
    assert client.post("/page-tokens/check", json={"token": token + "x"}, headers=svc).status_code == 404
    assert client.delete(f"/page-tokens/{made.json['id']}", headers=cast.headers("alice")).status_code == 204
    assert client.post("/page-tokens/check", json={"token": token}, headers=svc).status_code == 404


def test_only_admins_manage_read_tokens_and_only_services_check_them(client, cast):
    assert client.post("/page-tokens", json={"name": "x"}, headers=cast.headers("bob")).status_code == 403
    assert client.get("/page-tokens", headers=cast.headers("carol")).status_code == 403
    assert client.post("/page-tokens/check", json={"token": "psr_x"}, headers=cast.headers("alice")).status_code == 403
    assert client.post("/page-tokens/check", json={"token": "psr_x"}).status_code == 401
