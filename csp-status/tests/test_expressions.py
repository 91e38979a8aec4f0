"""PolyStatus' additions to Gatus's condition language, and the forms it kept from before."""
import pytest
from csp_status.checks import expressions
from csp_status.checks.expressions import ExpressionError, evaluate, parse

CONTEXT = {"STATUS": 200, "RESPONSE_TIME": 120.7, "BODY": '{"data": [{"id": 5}], "name": "abc", "items": [1, 2]}',
           "HEADERS": {"Content-Type": "application/json"}, "CERTIFICATE_EXPIRATION": 400 * 3_600_000}


@pytest.mark.parametrize("text,expected", [
    ("[STATUS] == 200", True), ("[STATUS] != 200", False), ("[RESPONSE_TIME] < 100", False),
    ("[RESPONSE_TIME] <= 120", True), ("[BODY].data[0].id == 5", True), ("[BODY].data[0].id >= 6", False),
    ("len([BODY].items) > 1", True), ("has([BODY].nope) == false", True), ('[BODY].name =~ "^ab"', True),
    ('[BODY].name=~"^ab"', True), ('[HEADERS].content-type =~ "json"', True), ('[BODY].name == "abc"', True),
    ("[BODY].missing == 1", False), ('[BODY].name == "a == b"', False),
])
def test_our_earlier_conditions_keep_their_meaning(text, expected):
    assert evaluate(parse(text), CONTEXT)[0] is expected


def test_a_quoted_string_takes_json_escapes():
    assert evaluate(parse(r'[BODY].name == "a\"b"'), {"BODY": '{"name": "a\\"b"}'})[0] is True


@pytest.mark.parametrize("text,expected", [
    ("[CERTIFICATE_EXPIRATION] > 48", True), ("[CERTIFICATE_EXPIRATION] > 401", False),
    ("[CERTIFICATE_EXPIRATION] > 48h", True), ("[CERTIFICATE_EXPIRATION] < 2w", False),
])
def test_a_bare_number_against_an_expiration_counts_hours(text, expected):
    assert evaluate(parse(text), CONTEXT)[0] is expected


def test_the_hours_of_a_bare_number_are_shown_when_it_fails():
    ok, shown = evaluate(parse("[CERTIFICATE_EXPIRATION] > 500"), CONTEXT)
    assert not ok and shown == "[CERTIFICATE_EXPIRATION] (400h) > 500 (500h)"


def test_a_failing_condition_shows_what_it_saw_as_gatus_does():
    ok, shown = evaluate(parse("[BODY].data[3].id == 5"), CONTEXT)
    assert not ok and shown == "[BODY].data[3].id (INVALID) == 5"


def test_a_regex_against_a_missing_value_fails():
    assert evaluate(parse('[BODY].nope =~ ".*"'), CONTEXT)[0] is False


@pytest.mark.parametrize("text,why", [
    ("[STATUS] = 200", "with a space on each side"), ("[STATUS]==200", "with a space on each side"),
    ('[BODY] =~ "("', "does not compile"), ("[BODY] =~ ^a", "double-quoted pattern"),
    ("[STATUS] == 200 == 200", "more than once"), ("x" * 501 + " == 1", "longer than 500"),
])
def test_a_refused_condition_says_why(text, why):
    with pytest.raises(ExpressionError) as refused:
        parse(text)
    assert str(refused.value).startswith("invalid condition:") and why in str(refused.value)


def test_a_new_kind_declares_its_placeholders_in_the_one_table():
    expressions.register("ROW_COUNT_TEST", "number", "rows a query returned (test)")
    try:
        assert evaluate(parse("[ROW_COUNT_TEST] > 2"), {"ROW_COUNT_TEST": 3})[0] is True
        # a kind that does not fill it sees its zero value, as Gatus's placeholders do
        assert evaluate(parse("[ROW_COUNT_TEST] == 0"), {})[0] is True
    finally:
        del expressions.PLACEHOLDERS["ROW_COUNT_TEST"]


def test_numbers_and_durations_are_read_as_go_reads_them():
    assert expressions.go_int("0x1F") == 31 and expressions.go_int("010") == 8 and expressions.go_int("0b101") == 5
    assert expressions.go_int("08") is None and expressions.go_int("9223372036854775808") is None
    assert expressions.go_duration_ns("2h45m") == 9_900 * 10**9 and expressions.go_duration_ns("1") is None
    assert expressions.go_format([1.0, 1e6, 0.00001, None, {"k": True}]) == "[1 1e+06 1e-05 <nil> map[k:true]]"
