"""The text rules (polystatus.text) and the writers that rely on them: log formatters (issue 21)."""
import json
import logging
import sys
from xml.etree import ElementTree as ET

import pytest
from apiflask import Schema
from apiflask.validators import Length
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from polystatus.app_factory import create_service_app
from polystatus.fuzzing import SPECIALS, nasty_text, strict_json, strict_metrics, strict_xml
from polystatus.logs import JSONFormatter, TextFormatter
from polystatus.metrics import Metrics
from polystatus.text import (
    Line,
    Name,
    NestedText,
    Pattern,
    Text,
    clean,
    clean_json_text,
    clean_tree,
    dumps,
    one_line,
    problem,
    visible,
)
from prometheus_client import generate_latest

ANY = st.one_of(nasty_text(), st.text(st.characters(exclude_categories=())), st.sampled_from(SPECIALS))


class ThingIn(Schema):
    name = Name(required=True, validate=Length(min=1, max=10))
    note = Line(validate=Length(max=50))
    body = Text(validate=Length(max=50))
    code = Line(validate=[Length(max=8), Pattern(r"^[a-z]+$")])


@pytest.fixture()
def client(base_config):
    app = create_service_app(__name__, service="demo", title="Demo", description="text rules", settings={},
                             config=base_config)

    @app.post("/things")
    @app.input(ThingIn)
    @app.output(ThingIn, status_code=201)
    def create_thing(json_data):
        return json_data

    @app.get("/stored")
    def stored():  # what an older version stored, read back as is
        return {"name": "Old\ud800 \x0c\x1b[2J\ufffe", "C:\\build": ["\x85", "🙂"]}

    return app.test_client()


@settings(max_examples=300, deadline=None, database=None)
@given(value=ANY)
def test_cleaned_text_is_what_the_rules_accept_and_xml_carries(value):
    for cleaned, multiline, name in ((clean(value), True, False), (one_line(value), False, False),
                                     (clean(value, name=True), False, True)):
        assert problem(cleaned, multiline=multiline, name=name) is None
        cleaned.encode("utf-8")
        element = ET.Element("t")
        element.text = cleaned
        read = strict_xml(ET.tostring(element, encoding="utf-8")).text or ""
        assert read == cleaned.replace("\r\n", "\n").replace("\r", "\n")  # XML's own line-end handling
    assert "\n" not in visible(value) and problem(visible(value)) is None


def test_clean_keeps_what_is_allowed_and_marks_what_cannot_be_encoded():
    assert clean("Paiement très lent\n\tdétail <b>&amp;</b>") == "Paiement très lent\n\tdétail <b>&amp;</b>"
    assert clean("a\x00b\x1b[31mc\x85") == "ab[31mc"
    assert clean("x\ud800y\uffff") == "x\ufffdy\ufffd"
    assert one_line("Down\r\nBcc: eve@example.com\u2028x") == "Down Bcc: eve@example.com x"
    assert clean("Cafe\u0301 \u202eevil", name=True) == "Caf\u00e9 evil"


@settings(max_examples=300, deadline=None, database=None)
@given(value=st.recursive(ANY, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY, inner, max_size=3),
                          max_leaves=6))
def test_json_written_by_dumps_is_strict_and_as_clean_tree_makes_it(value):
    """The search for suspect escapes may take a clean document for a suspect one, never the
    other way round: what dumps writes is what clean_tree gives, and strict JSON."""
    written = dumps(value)
    assert json.loads(written) == json.loads(json.dumps(clean_tree(value)))
    strict_json(written.encode())
    assert json.loads(clean_json_text(json.dumps(value))) == json.loads(written)
    strict_json(clean_json_text(json.dumps(value, ensure_ascii=False).encode("utf-8", "replace").decode()).encode())


def test_a_clean_document_is_written_as_json_dumps_would_and_passed_on_byte_for_byte():
    for value in ({"name": "Café 🙂", "path": "C:\\build\\fix", "lines": "a\nb\tc"}, ["\u2028", 1, None, True]):
        assert json.loads(dumps(value)) == value
        assert clean_json_text(json.dumps(value)) == json.dumps(value)
    assert dumps({"name": "Café"}) == json.dumps({"name": "Café"})
    assert clean_json_text("not json \ud800") == "not json \ud800"  # not ours to mend


def test_every_json_answer_of_a_service_leaves_stored_text_cleaned(client):
    answer = client.get("/stored")
    assert strict_json(answer.data) == {"name": "Old\ufffd [2J\ufffd", "C:\\build": ["", "🙂"]}
    # what the test client sends is not cleaned: a test can still send what the rules refuse
    refused = client.post("/things", json={"name": "a\x0cb"})
    assert refused.status_code == 422 and "name" in refused.json["error"]["details"]["json"]


def test_visible_shows_controls_as_escapes_so_a_log_line_cannot_be_forged():
    assert visible("ok\nINFO    forged: x\x1b[2J\ud800") == "ok\\nINFO    forged: x\\x1b[2J\\ud800"


def test_every_text_field_needs_a_maximum_length():
    with pytest.raises(TypeError, match="Length"):
        Name(required=True)
    with pytest.raises(TypeError, match="Length"):
        Text(validate=Length(min=1))


def test_a_name_is_nfc_one_line_and_without_bidi_controls():
    assert ThingIn().load({"name": "Zoe\u0308"})["name"] == "Zo\u00eb"
    # NFC comes before the length check: ten composed letters fit in ten
    assert ThingIn().load({"name": "e\u0301" * 10})["name"] == "\u00e9" * 10
    for bad, why in (("a\u202eb", "bidirectional"), ("a\u2067b", "bidirectional"), ("a\nb", "line break"),
                     ("a\tb", "tab"), ("\x7f", "control"), ("\x9b", "control"), ("\ud800", "surrogate"),
                     ("\U0001fffe", "noncharacter"), ("\ufdd0", "noncharacter")):
        with pytest.raises(ValidationError) as refused:
            ThingIn().load({"name": bad})
        assert why in refused.value.messages["name"][0]


def test_multi_line_text_takes_tabs_and_line_breaks_and_marks_are_fine_in_any_text():
    loaded = ThingIn().load({"name": "x", "body": "one\r\n\ttwo", "note": "\u200fعربى\u200e"})
    assert loaded["body"] == "one\r\n\ttwo" and loaded["note"] == "\u200fعربى\u200e"
    with pytest.raises(ValidationError):
        ThingIn().load({"name": "x", "note": "one\ntwo"})


def test_a_pattern_must_match_the_whole_value():
    assert ThingIn().load({"name": "x", "code": "abc"})["code"] == "abc"
    with pytest.raises(ValidationError):
        ThingIn().load({"name": "x", "code": "abc\n"})


def test_free_form_json_refuses_the_same_characters_inside():
    NestedText()({"all": [{"attribute": "plan", "value": "pro\n"}]})
    with pytest.raises(ValidationError, match=r"all\[0\].value"):
        NestedText()({"all": [{"attribute": "plan", "value": "p\x00"}]})


def test_a_lone_surrogate_in_json_is_a_422_naming_the_field_in_the_one_error_shape(client):
    response = client.post("/things", data='{"name": "ok\\ud800"}', content_type="application/json")
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error" and "surrogate" in error["details"]["json"]["name"][0]


def test_the_openapi_document_states_the_limits_and_the_kind_of_text(client):
    properties = client.get("/openapi.json").json["components"]["schemas"]["ThingIn"]["properties"]
    assert properties["name"]["maxLength"] == 10 and properties["name"]["x-polystatus-text"] == "name"
    assert properties["body"]["x-polystatus-text"] == "text" and properties["code"]["pattern"] == "^[a-z]+$"


def with_fields(message, args, fields):
    entry = logging.LogRecord("demo", logging.WARNING, __file__, 1, message, args, None)
    entry.fields = fields
    return entry


def test_the_text_log_format_keeps_a_record_on_one_line_whatever_it_quotes():
    formatter = TextFormatter()
    line = formatter.format(with_fields("only_log: %s: %s", ("ops\nINFO    forged: yes", "\x1b[31mred"),
                                         {"subject": "a\r\nb"}))
    assert "\n" not in line and "\x1b" not in line
    assert line == "WARNING demo: only_log: ops\\nINFO    forged: yes: \\x1b[31mred subject=a\\r\\nb"
    try:
        raise ValueError("bad\nINFO    forged")
    except ValueError:
        failed = logging.LogRecord("demo", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    lines = formatter.format(failed).split("\n")
    assert lines[0] == "ERROR   demo: failed" and all(line.startswith("  ") for line in lines[1:])


def test_the_json_log_format_stays_strict_json_whatever_it_quotes():
    line = JSONFormatter("demo").format(with_fields("name %s", ("x\ud800\x00y",), {"name": "z\udfff"}))
    entry = strict_json(line.encode())
    assert entry["msg"] == "name x\ufffdy" and entry["name"] == "z\ufffd"
    assert json.loads(line)["level"] == "warning"


def test_a_label_value_from_people_never_breaks_the_metrics_page():
    metrics = Metrics("demo")
    counter = metrics.counter("checks_run_total", "Checks run.", ["check"])
    for value in ('Shop "eu"\\\nINFO x', "\ud800\x00", *SPECIALS):
        counter.labels(value).inc()
    families = strict_metrics(generate_latest(metrics.registry).decode("utf-8"))
    labels = {s.labels["check"] for f in families for s in f.samples if f.name == "checks_run"}
    assert 'Shop "eu"\\\nINFO x' in labels and "\ufffd" in labels
