import pytest
from conftest import PASSWORD


def test_it_registers_a_user_with_a_lower_cased_email_and_no_password_in_the_answer(client):
    response = client.post("/users", json={"email": "Dave@Example.COM", "password": PASSWORD})
    assert response.status_code == 201
    assert response.json["email"] == "dave@example.com"
    assert response.json["role"] == "user"
    assert "password" not in str(response.json)


def test_registration_refuses_to_choose_a_role(client):
    response = client.post("/users", json={"email": "eve@example.com", "password": PASSWORD, "role": "admin"})
    assert response.status_code == 422 and "role" in response.json["error"]["details"]["json"]


def test_it_refuses_a_second_account_with_the_same_email_whatever_the_case(client):
    client.post("/users", json={"email": "dave@example.com", "password": PASSWORD})
    response = client.post("/users", json={"email": "DAVE@example.com", "password": PASSWORD})
    assert response.status_code == 409 and response.json["error"]["code"] == "email_taken"


@pytest.mark.parametrize("password", ["short", "1234567890", "aaaaaaaaaaaa", "password123"])
def test_it_refuses_weak_passwords(client, password):
    response = client.post("/users", json={"email": "dave@example.com", "password": password})
    assert response.status_code == 422
    assert "password" in response.json["error"]["details"]


def test_passwords_are_stored_as_argon2id_hashes(app, client):
    created = client.post("/users", json={"email": "dave@example.com", "password": PASSWORD}).json
    stored = app.extensions["redis"].hget(f"user:{created['id']}", "password_hash")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_only_admins_list_accounts(client, cast):
    assert client.get("/users", headers=cast.headers("carol")).status_code == 403
    assert client.get("/users", headers=cast.headers("bob")).status_code == 403
    assert client.get("/users").status_code == 401
    listing = client.get("/users?per_page=2", headers=cast.headers("alice")).json
    assert listing["total"] == 3 and len(listing["users"]) == 2


def test_a_user_reads_their_own_account_but_not_someone_elses(client, cast):
    assert client.get(f"/users/{cast.ids['carol']}", headers=cast.headers("carol")).status_code == 200
    assert client.get(f"/users/{cast.ids['bob']}", headers=cast.headers("carol")).status_code == 403
    assert client.get(f"/users/{cast.ids['bob']}", headers=cast.headers("alice")).status_code == 200


def test_only_admins_change_roles(client, cast):
    response = client.patch(f"/users/{cast.ids['carol']}", json={"role": "admin"}, headers=cast.headers("carol"))
    assert response.status_code == 403
    response = client.patch(f"/users/{cast.ids['carol']}", json={"role": "staff"}, headers=cast.headers("bob"))
    assert response.status_code == 403
    response = client.patch(f"/users/{cast.ids['carol']}", json={"role": "staff"}, headers=cast.headers("alice"))
    assert response.status_code == 200 and response.json["role"] == "staff"


def test_the_last_admin_cannot_demote_or_delete_themself(client, cast):
    alice = cast.ids["alice"]
    response = client.patch(f"/users/{alice}", json={"role": "user"}, headers=cast.headers("alice"))
    assert response.status_code == 409 and response.json["error"]["code"] == "last_admin"
    assert client.delete(f"/users/{alice}", headers=cast.headers("alice")).status_code == 409
    # with a second admin, it is allowed
    client.patch(f"/users/{cast.ids['bob']}", json={"role": "admin"}, headers=cast.headers("alice"))
    assert client.patch(f"/users/{alice}", json={"role": "user"}, headers=cast.headers("alice")).status_code == 200


def test_changing_ones_password_needs_the_current_one(client, cast):
    carol = cast.ids["carol"]
    response = client.patch(f"/users/{carol}", json={"password": "another long passphrase"},
                            headers=cast.headers("carol"))
    assert response.status_code == 401
    response = client.patch(f"/users/{carol}", json={"password": "another long passphrase",
                                                     "current_password": PASSWORD}, headers=cast.headers("carol"))
    assert response.status_code == 200
    assert client.post("/auth/login", json={"email": "carol@example.com", "password": PASSWORD}).status_code == 401


def test_deleting_an_account_removes_its_follows_and_publishes_user_deleted(app, client, cast):
    carol = cast.ids["carol"]
    client.put("/users/me/follows/INC1", headers=cast.headers("carol"))
    client.put("/users/me/subscriptions/api", headers=cast.headers("carol"))
    assert client.delete(f"/users/{carol}", headers=cast.headers("carol")).status_code == 204
    r = app.extensions["redis"]
    assert not r.exists(f"user:{carol}") and not r.sismember("followers:INC1", carol)
    assert not r.sismember("subscribers:api", carol)
    types = [fields["type"] for _, fields in r.xrange("events:users")]
    assert "user.deleted" in types
