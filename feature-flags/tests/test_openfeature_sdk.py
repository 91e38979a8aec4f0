"""The official OpenFeature SDK with the OFREP provider against the service on a real port."""
import threading

import pytest
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from werkzeug.serving import make_server


@pytest.fixture()
def sdk(app, flag):
    flag(key="bool-flag", variants={"on": True, "off": False}, default_variant="on")
    flag(key="string-flag", type="string", variants={"red": "red", "blue": "blue"}, default_variant="blue")
    flag(key="int-flag", type="integer", variants={"low": 3, "high": 30}, default_variant="high")
    flag(key="float-flag", type="float", variants={"a": 0.25, "b": 2}, default_variant="b")
    flag(key="object-flag", type="object", variants={"cfg": {"colour": "teal", "size": 3}}, default_variant="cfg")
    flag(key="targeted", type="string", variants={"pro": "pro", "free": "free"}, default_variant="free",
         rules=[{"when": {"attribute": "plan", "op": "equals", "value": "pro"}, "variant": "pro"}])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api.set_provider(OFREPProvider(f"http://127.0.0.1:{server.server_port}"))
    yield api.get_client()
    server.shutdown()


def test_the_sdk_evaluates_every_type(sdk):
    assert sdk.get_boolean_value("bool-flag", False) is True
    assert sdk.get_string_value("string-flag", "none") == "blue"
    assert sdk.get_integer_value("int-flag", 0) == 30
    assert sdk.get_float_value("float-flag", 0.0) == 2.0
    assert sdk.get_object_value("object-flag", {}) == {"colour": "teal", "size": 3}


def test_the_sdk_sends_its_context_and_reads_the_variant(sdk):
    details = sdk.get_string_details("targeted", "none", EvaluationContext("user-1", {"plan": "pro"}))
    assert details.value == "pro" and details.variant == "pro" and details.reason == "TARGETING_MATCH"


def test_a_missing_flag_gives_the_code_default(sdk):
    details = sdk.get_boolean_details("no-such-flag", True)
    assert details.value is True and details.error_code is not None
