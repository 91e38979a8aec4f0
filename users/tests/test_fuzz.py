"""Schemathesis over users' own OpenAPI document: no 5xx, answers as documented."""
from polystatus.fuzzing import fuzz


def test_the_users_api_holds_under_fuzzing_as_admin(app, cast):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = 10**6
    app.config["REGISTER_LIMIT_PER_ADDRESS"] = 10**6
    assert fuzz(app, headers=cast.headers("alice"), max_examples=15) >= 15


def test_the_users_api_holds_under_fuzzing_anonymously(app):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = 10**6
    app.config["REGISTER_LIMIT_PER_ADDRESS"] = 10**6
    assert fuzz(app, headers={}, max_examples=10) >= 15
