import pytest
from csp_status.checks.expressions import ExpressionError, evaluate, parse

CONTEXT = {"STATUS": 200, "RESPONSE_TIME": 120.0, "BODY": {"data": [{"id": 5}], "name": "abc", "items": [1, 2]},
           "HEADERS": {"Content-Type": "application/json"}, "CERTIFICATE_EXPIRATION": 400.0}


@pytest.mark.parametrize("text,expected", [
    ("[STATUS] == 200", True), ("[STATUS] != 200", False), ("[RESPONSE_TIME] < 100", False),
    ("[RESPONSE_TIME] <= 120", True), ("[BODY].data[0].id == 5", True), ("[BODY].data[0].id >= 6", False),
    ("len([BODY].items) > 1", True), ("has([BODY].nope) == false", True), ('[BODY].name =~ "^ab"', True),
    ('[HEADERS].content-type =~ "json"', True), ("[CERTIFICATE_EXPIRATION] > 48", True), ('[BODY].name == "abc"', True),
    ("[BODY].missing == 1", False),
])
def test_conditions_evaluate(text, expected):
    assert evaluate(parse(text), CONTEXT)[0] is expected


@pytest.mark.parametrize("text,position", [
    ("[STATUS] = 200", 9), ("[NOPE] == 1", 0), ("[STATUS] ==", 11), ('[BODY] =~ "("', 7), ("[STATUS] == 200 200", 16),
    ("len([BODY]", 10), ("__import__('os') == 1", 11), ("open == 1", 0),
])
def test_errors_name_their_position(text, position):
    with pytest.raises(ExpressionError) as raised:
        parse(text)
    assert raised.value.position == position


def test_a_missing_value_fails_and_says_so():
    ok, reason = evaluate(parse("[BODY].data[3].id == 5"), CONTEXT)
    assert not ok and "missing" in reason
