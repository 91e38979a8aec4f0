"""Schemathesis against the shared factory's own routes: no 5xx, answers match the document."""
from conftest import build
from polystatus.fuzzing import fuzz


def test_the_api_never_answers_5xx_and_keeps_to_its_document(base_config, as_):
    assert fuzz(build(base_config), headers=as_("bob"), skip=("/boom",)) >= 4


def test_anonymous_callers_get_documented_answers_too(base_config):
    assert fuzz(build(base_config), headers={}, max_examples=10, skip=("/boom",)) >= 4
