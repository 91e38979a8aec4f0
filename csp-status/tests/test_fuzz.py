"""Schemathesis over csp-status's own OpenAPI document: no 5xx, answers as documented."""
from polystatus.fuzzing import fuzz


def test_the_csp_status_api_holds_under_fuzzing_as_admin(app, as_):
    app.config["CSP_ALLOW_PRIVATE_TARGETS"] = False  # fuzzed URLs must not reach anything
    assert fuzz(app, headers=as_("alice"), max_examples=10, skip=("/checks/{check_id}/run", "/providers/{provider_id}/poll")) >= 25


def test_the_csp_status_api_holds_under_fuzzing_anonymously(app):
    assert fuzz(app, headers={}, max_examples=8) >= 25
