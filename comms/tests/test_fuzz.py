"""Schemathesis over comms' own OpenAPI document: no 5xx, answers as documented."""
from polystatus.fuzzing import fuzz


def test_the_comms_api_holds_under_fuzzing_as_admin(app, as_):
    app.config["ONLY_LOG"] = True
    assert fuzz(app, headers=as_("alice"), max_examples=10, skip=("/unsubscribe",)) >= 15


def test_the_comms_api_holds_under_fuzzing_anonymously(app):
    assert fuzz(app, headers={}, max_examples=8) >= 15
