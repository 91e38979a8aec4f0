import pytest


def test_a_user_follows_and_unfollows_an_incident(client, cast):
    assert client.put("/users/me/follows/INC01", headers=cast.headers("carol")).json == {"incidents": ["INC01"]}
    assert client.get("/users/me/follows", headers=cast.headers("carol")).json == {"incidents": ["INC01"]}
    assert client.delete("/users/me/follows/INC01", headers=cast.headers("carol")).status_code == 204
    assert client.get("/users/me/follows", headers=cast.headers("carol")).json == {"incidents": []}


def test_following_needs_an_account(client):
    assert client.put("/users/me/follows/INC01").status_code == 401


def test_followers_are_given_to_admins_and_services_only(client, cast, keyset):
    client.put("/users/me/follows/INC01", headers=cast.headers("carol"))
    client.put("/users/me/follows/INC01", headers=cast.headers("bob"))
    for who, expected in [(None, 401), ("carol", 403), ("bob", 403), ("alice", 200)]:
        assert client.get("/followers?incident=INC01", headers=cast.headers(who)).status_code == expected
    body = client.get("/followers?incident=INC01", headers=cast.headers("alice")).json
    assert sorted(p["email"] for p in body["followers"]) == ["bob@example.com", "carol@example.com"]


def test_a_service_token_reads_subscribers_of_several_components(client, cast):
    client.put("/users/me/subscriptions/api", headers=cast.headers("carol"))
    client.put("/users/me/subscriptions/web", headers=cast.headers("bob"))
    token = client.post("/auth/token", json={"grant_type": "client_credentials", "client_id": "comms",
                                             "client_secret": "comms-secret-0123456789"}).json["access_token"]
    body = client.get("/subscribers?component=api,web", headers={"Authorization": f"Bearer {token}"}).json
    assert sorted(p["email"] for p in body["subscribers"]) == ["bob@example.com", "carol@example.com"]


def test_a_service_removes_a_subscription_for_an_unsubscribe_link(client, cast):
    client.put("/users/me/subscriptions/api", headers=cast.headers("carol"))
    token = client.post("/auth/token", json={"grant_type": "client_credentials", "client_id": "comms",
                                             "client_secret": "comms-secret-0123456789"}).json["access_token"]
    service = {"Authorization": f"Bearer {token}"}
    assert client.delete(f"/users/{cast.ids['carol']}/subscriptions/api", headers=cast.headers("bob")).status_code == 403
    assert client.delete(f"/users/{cast.ids['carol']}/subscriptions/api", headers=service).status_code == 204
    assert client.get("/users/me/subscriptions", headers=cast.headers("carol")).json == {"components": []}


@pytest.mark.parametrize("bad", ["a b", "x" * 65, "semi;colon"])
def test_it_refuses_malformed_ids(client, cast, bad):
    assert client.put(f"/users/me/follows/{bad}", headers=cast.headers("carol")).status_code in (400, 404)


def test_followers_come_with_the_language_of_their_mails(client, cast):
    client.put("/users/me/follows/INC01", headers=cast.headers("carol"))
    client.put("/users/me/follows/INC01", headers=cast.headers("bob"))
    client.patch(f"/users/{cast.ids['carol']}", headers=cast.headers("carol"), json={"lang": "fr"})
    body = client.get("/followers?incident=INC01", headers=cast.headers("alice")).json
    assert {p["email"]: p["lang"] for p in body["followers"]} == {"bob@example.com": "en", "carol@example.com": "fr"}
