"""The evaluation engine, exhaustively: operators, rule order, segments, splits, stickiness."""
import pytest
from feature_flags.flags import service

FLAG = {"key": "f", "type": "string", "variants": {"a": "A", "b": "B", "c": "C"}, "default_variant": "c", "enabled": True}


def rule(op, value, attribute="x"):
    return {**FLAG, "rules": [{"when": {"all": [{"attribute": attribute, "op": op, "value": value}]}, "variant": "a"}]}


@pytest.mark.parametrize("op,value,actual,expected", [
    ("in", ["fr", "be"], "fr", True), ("in", ["fr"], "de", False),
    ("not_in", ["fr"], "de", True), ("not_in", ["fr"], "fr", False),
    ("equals", "x", "x", True), ("equals", 3, 4, False), ("not_equals", 3, 4, True),
    ("starts_with", "ab", "abc", True), ("starts_with", "b", "abc", False),
    ("ends_with", ".fr", "a.fr", True), ("ends_with", ".fr", "a.de", False),
    ("contains", "ell", "hello", True), ("contains", "beta", ["alpha", "beta"], True), ("contains", "z", "abc", False),
    ("regex", "^user-[0-9]+$", "user-42", True), ("regex", "^user-[0-9]+$", "admin", False),
    ("<", 10, 9, True), ("<", 10, 10, False), ("<=", 10, 10, True), (">", 1.5, 2, True), (">=", 2, 1, False),
    ("semver_lt", "2.0.0", "1.9.9", True), ("semver_gte", "2.0.0", "2.0.0", True), ("semver_gt", "2.0.0", "10.0.0", True),
    ("semver_eq", "1.2.3", "v1.2.3", True), ("semver_lte", "1.0.0", "1.0.1", False),
    ("before", "2026-01-01T00:00:00Z", "2025-12-31T23:00:00Z", True), ("after", "2026-01-01", "2025-06-01", False),
])
def test_every_operator(op, value, actual, expected):
    result = service.evaluate(rule(op, value), {"x": actual}, {})
    assert (result["variant"] == "a") is expected
    assert result["reason"] == ("TARGETING_MATCH" if expected else "DEFAULT")


def test_a_missing_attribute_does_not_match_except_not_in():
    assert service.evaluate(rule("equals", 1), {}, {})["variant"] == "c"
    assert service.evaluate(rule("not_in", [1]), {}, {})["variant"] == "a"


def test_an_uncomparable_value_is_an_invalid_context():
    with pytest.raises(service.EvaluationError) as raised:
        service.evaluate(rule("<", 3), {"x": "three"}, {})
    assert raised.value.code == "INVALID_CONTEXT"


def test_the_first_matching_rule_wins():
    flag = {**FLAG, "rules": [{"when": {"attribute": "x", "op": ">", "value": 5}, "variant": "a"},
                              {"when": {"attribute": "x", "op": ">", "value": 1}, "variant": "b"}]}
    assert service.evaluate(flag, {"x": 9}, {})["variant"] == "a"
    assert service.evaluate(flag, {"x": 3}, {})["variant"] == "b"
    assert service.evaluate(flag, {"x": 0}, {})["variant"] == "c"


def test_all_and_any_combine():
    flag = {**FLAG, "rules": [{"when": {"any": [{"attribute": "country", "op": "equals", "value": "fr"},
                                                {"all": [{"attribute": "plan", "op": "equals", "value": "pro"},
                                                         {"attribute": "age", "op": ">=", "value": 18}]}]},
                               "variant": "a"}]}
    assert service.evaluate(flag, {"country": "fr"}, {})["variant"] == "a"
    assert service.evaluate(flag, {"plan": "pro", "age": 20}, {})["variant"] == "a"
    assert service.evaluate(flag, {"plan": "pro", "age": 16}, {})["variant"] == "c"


def test_segments_are_reusable():
    segments = {"staff": {"key": "staff", "when": {"attribute": "email", "op": "ends_with", "value": "@polystatus.io"}}}
    flag = {**FLAG, "rules": [{"when": {"segment": "staff"}, "variant": "b"}]}
    assert service.evaluate(flag, {"email": "bob@polystatus.io"}, segments)["variant"] == "b"
    assert service.evaluate(flag, {"email": "eve@evil.io"}, segments)["variant"] == "c"


def split_flag(on: float) -> dict:
    return {"key": "rollout", "type": "boolean", "variants": {"on": True, "off": False}, "default_variant": "off",
            "enabled": True, "rules": [{"split": {"on": on, "off": 100 - on}}]}


def test_a_10_90_split_over_10000_keys_is_within_one_and_a_half_percent():
    ons = sum(service.evaluate(split_flag(10), {"targetingKey": f"user-{i}"}, {})["value"] for i in range(10_000))
    assert abs(ons / 10_000 - 0.10) <= 0.015


def test_growing_a_rollout_keeps_everyone_who_had_it():
    before = {i for i in range(5_000) if service.evaluate(split_flag(10), {"targetingKey": str(i)}, {})["value"]}
    after = {i for i in range(5_000) if service.evaluate(split_flag(30), {"targetingKey": str(i)}, {})["value"]}
    assert before <= after and len(after) > len(before)


def test_a_split_without_a_targeting_key_is_an_error():
    with pytest.raises(service.EvaluationError) as raised:
        service.evaluate(split_flag(10), {}, {})
    assert raised.value.code == "TARGETING_KEY_MISSING"


def test_a_split_can_bucket_by_another_attribute():
    flag = split_flag(50)
    flag["rules"][0]["bucket_by"] = "org"
    values = {service.evaluate(flag, {"targetingKey": str(i), "org": "acme"}, {})["value"] for i in range(100)}
    assert len(values) == 1  # the whole org gets the same variant


def test_a_disabled_flag_answers_reason_disabled_without_a_value_as_ofrep_decided():
    flag = {**rule("equals", 1), "enabled": False}
    assert service.evaluate(flag, {"x": 1}, {}) == {"variant": "c", "reason": "DISABLED", "metadata": {"version": 1}}


def test_a_flag_without_rules_is_static():
    assert service.evaluate(FLAG, {}, {})["reason"] == "STATIC"


def test_validation_refuses_values_of_the_wrong_type_and_unknown_variants():
    from polystatus.errors import Invalid

    with pytest.raises(Invalid):
        service.validate({**FLAG, "type": "integer", "variants": {"a": 1, "b": "2"}, "default_variant": "a"}, {})
    with pytest.raises(Invalid):
        service.validate({**FLAG, "default_variant": "zzz"}, {})
    with pytest.raises(Invalid):
        service.validate(split_flag(10) | {"rules": [{"split": {"on": 10, "off": 80}}]}, {})
    assert service.validate({**FLAG, "type": "float", "variants": {"a": 1, "b": 2.5}, "default_variant": "a"},
                            {})["variants"]["a"] == 1.0
