"""Schemathesis over comms' own OpenAPI document: no 5xx, answers as documented."""
from polystatus.fuzzing import fuzz


def test_the_comms_api_holds_under_fuzzing_as_admin(app, as_):
    app.config["ONLY_LOG"] = True
    assert fuzz(app, headers=as_("alice"), max_examples=10, skip=("/unsubscribe",)) >= 15


def test_the_comms_api_holds_under_fuzzing_anonymously(app):
    assert fuzz(app, headers={}, max_examples=8) >= 15


def test_a_made_up_api_key_gets_the_401_users_would_give_it_not_a_503(client):
    # The fuzzer can send a psk_-looking header: the test's stand-in for users answers it as
    # users answers an unknown key, so what the fuzzer sees is what a real cluster answers.
    response = client.post("/announcements", json={"subject": "s", "message": "m"}, headers={"X-Api-Key": "psk_made_up"})
    assert response.status_code == 401 and response.json["error"]["code"] == "api_key_invalid", response.json
