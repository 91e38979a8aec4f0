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


def test_passwords_are_hashed_with_rfc_9106_parameters_unless_told_otherwise():
    from users import settings

    assert settings.password_hash_profile({}) == "RFC_9106_LOW_MEMORY"
    assert settings.password_hash_profile({"PASSWORD_HASH_PROFILE": "CHEAPEST"}) == "CHEAPEST"
    with pytest.raises(settings.s.SettingsError):
        settings.password_hash_profile({"PASSWORD_HASH_PROFILE": "md5"})


def test_a_password_hashed_with_other_parameters_is_rehashed_at_the_next_sign_in(app, client, cast):
    from argon2 import PasswordHasher
    from users.accounts import flows, storage

    r = app.extensions["redis"]
    other = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)
    outdated = other.hash(PASSWORD)
    assert flows.hasher.check_needs_rehash(outdated)
    storage.set_password_hash(r, cast.ids["carol"], outdated)
    assert client.post("/auth/login", json={"email": "carol@example.com", "password": PASSWORD}).status_code == 200
    assert not flows.hasher.check_needs_rehash(storage.get(r, cast.ids["carol"])["password_hash"])


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


def test_the_admin_command_creates_then_promotes_without_a_request(app, client, cast):
    from users.accounts import flows

    r, clock = app.extensions["redis"], app.config["CLOCK"]
    assert flows.ensure_admin(r, clock=clock, email="Dana@Example.com", password=PASSWORD) == "created"
    assert flows.ensure_admin(r, clock=clock, email="dana@example.com", password="another-one-2026!") == "exists"
    assert flows.ensure_admin(r, clock=clock, email="carol@example.com", password="ignored-2026!x") == "promoted"
    signed_in = client.post("/auth/login", json={"email": "dana@example.com", "password": PASSWORD})
    assert signed_in.status_code == 200
    assert client.get(f"/users/{cast.ids['carol']}", headers=cast.headers("alice")).json["role"] == "admin"


def test_an_email_change_moves_the_address_that_keeps_emails_unique(client, cast):
    changed = client.patch(f"/users/{cast.ids['carol']}", json={"email": "carol.new@example.com"},
                           headers=cast.headers("carol"))
    assert changed.status_code == 200 and changed.json["email"] == "carol.new@example.com"
    taken = client.post("/users", json={"email": "carol.new@example.com", "password": PASSWORD, "display_name": "X"})
    assert taken.status_code == 409
    freed = client.post("/users", json={"email": "carol@example.com", "password": PASSWORD, "display_name": "Carol 2"})
    assert freed.status_code == 201


def test_an_admin_finds_accounts_by_part_of_their_email_or_name_and_by_role(client, cast):
    client.post("/users", json={"email": "Dave.Lee@Example.com", "password": PASSWORD, "display_name": "Dave Lee"})
    headers = cast.headers("alice")

    def found(query):
        listing = client.get(f"/users?{query}", headers=headers).json
        return sorted(u["email"] for u in listing["users"]), listing["total"]

    assert found("q=LEE") == (["dave.lee@example.com"], 1)
    assert found("q=dave%20example") == (["dave.lee@example.com"], 1)
    assert found("role=staff") == (["bob@example.com"], 1)
    assert found("q=example.com&role=user") == (["carol@example.com", "dave.lee@example.com"], 2)
    assert found("q=example.com&per_page=1&page=2")[1] == 4 and len(found("q=example.com&per_page=1&page=2")[0]) == 1
    assert found("q=nobody") == ([], 0)
    assert client.get("/users?role=owner", headers=headers).status_code == 422
