"""Gatus's documented conditions and the cases of its condition tests, replayed from
gatus_conditions.yaml against our evaluator, each case named after the Gatus behaviour it proves."""
import os

import pytest
import yaml
from csp_status.checks import expressions
from csp_status.checks.expressions import ExpressionError, evaluate, parse

with open(os.path.join(os.path.dirname(__file__), "gatus_conditions.yaml"), encoding="utf-8") as handle:
    CASES = yaml.safe_load(handle)


def context(result: dict) -> dict:
    """What a check run saw, in the evaluator's terms (durations in milliseconds)."""
    def ms(duration):
        return expressions.go_duration_ns(duration) // 1_000_000 if duration else 0

    return {"STATUS": result.get("status", 0), "IP": result.get("ip", ""), "BODY": result.get("body", ""),
            "CONNECTED": result.get("connected", False), "DNS_RCODE": result.get("dns_rcode", ""),
            "RESPONSE_TIME": ms(result.get("response_time")),
            "CERTIFICATE_EXPIRATION": ms(result.get("certificate_expiration")),
            "DOMAIN_EXPIRATION": ms(result.get("domain_expiration"))}


@pytest.mark.parametrize("case", CASES["validate"], ids=lambda c: c["condition"])
def test_gatus_validation_accepts_and_refuses_the_same_conditions(case):
    if case["error"] is None:
        parse(case["condition"])
    else:
        with pytest.raises(ExpressionError) as refused:
            parse(case["condition"])
        # Gatus's own message first, then why
        assert str(refused.value).startswith(case["error"])
        assert len(str(refused.value)) > len(case["error"])


@pytest.mark.parametrize("case", CASES["evaluate"], ids=lambda c: c["name"])
def test_gatus_condition_evaluation(case):
    expected = case.get("polystatus", case)
    ok, shown = evaluate(parse(case["condition"]), context(case["result"]),
                         resolve_success=case.get("resolve_successful", False),
                         resolve_failure=not case.get("dont_resolve_failed", False))
    assert ok is expected["success"]
    assert shown == expected["output"]


README_CASES = [(c["condition"], result, verdict) for c in CASES["readme"]
                for verdict in ("passing", "failing") for result in c[verdict]]


@pytest.mark.parametrize("condition,result,verdict", README_CASES,
                         ids=[f"{c} {v} {sorted(r.values())}" for c, r, v in README_CASES])
def test_gatus_readme_conditions_pass_and_fail_on_the_documented_values(condition, result, verdict):
    assert evaluate(parse(condition), context(result))[0] is (verdict == "passing")
