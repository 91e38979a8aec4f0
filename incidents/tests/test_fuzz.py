"""Schemathesis over incidents' own OpenAPI document: no 5xx, answers as documented."""
from polystatus.fuzzing import fuzz


def test_the_incidents_api_holds_under_fuzzing_as_staff(app, as_, components):
    app.config["REPORTS_PER_ADDRESS_PER_MINUTE"] = 10**6
    assert fuzz(app, headers=as_("bob"), max_examples=12) >= 25


def test_the_incidents_api_holds_under_fuzzing_anonymously(app, components):
    app.config["REPORTS_PER_ADDRESS_PER_MINUTE"] = 10**6
    assert fuzz(app, headers={}, max_examples=8) >= 25
