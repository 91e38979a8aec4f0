"""Schemathesis over feature-flags' own OpenAPI document: no 5xx, answers as documented."""
from polystatus.fuzzing import fuzz


def test_the_flags_api_holds_under_fuzzing_as_admin(app, as_, flag):
    flag()
    assert fuzz(app, headers=as_("alice"), max_examples=15) >= 12


def test_the_flags_api_holds_under_fuzzing_anonymously(app):
    assert fuzz(app, headers={}, max_examples=10) >= 12
