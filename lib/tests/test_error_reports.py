"""A service's own errors reach Sentry (SENTRY_DSN), with nothing personal, and nothing happens
without a DSN. Asserted on what a Sentry server on loopback receives (polystatus.testing)."""
import json
import os
import subprocess
import sys
import textwrap

import pytest
import sentry_sdk
from polystatus import settings
from polystatus.app_factory import create_service_app

CAROL = "carol@example.com"
TOKEN = "eyJhbGciOiJFZERTQSJ9.secret-token-value.sig"
COOKIE = "session=cookie-value-9f8e7d"
API_KEY = "psk_api-key-value-1234"


@pytest.fixture()
def reporting_app(base_config, sentry_receiver):
    app = create_service_app(__name__, service="demo", title="Demo", description="test service", settings={},
                             config={**base_config, "PROPAGATE_EXCEPTIONS": False, "SENTRY_DSN": sentry_receiver.dsn,
                                     "SENTRY_ENVIRONMENT": "staging", "SENTRY_TRACES_SAMPLE_RATE": 0.0})

    @app.post("/boom")
    @app.doc(hide=True)
    def boom():
        raise RuntimeError(f"could not notify {CAROL}")

    @app.get("/fine")
    @app.doc(hide=True)
    def fine():
        return {"ok": True}

    yield app
    app.extensions["error_reports"].close(timeout=2)  # the next test starts without it


def test_an_unhandled_error_in_a_route_is_reported_once_with_nothing_personal(reporting_app, sentry_receiver):
    response = reporting_app.test_client().post(
        f"/boom?email={CAROL}&page=2", data=json.dumps({"email": CAROL, "password": "hunter2 hunter2"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}", "Cookie": COOKIE, "X-API-Key": API_KEY,
                 "X-Forwarded-For": "203.0.113.7"})
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    sentry_sdk.flush(5)
    sentry_receiver.wait_for(lambda r: r.events)

    [event] = sentry_receiver.events  # the view's exception once, not again for each log line about it
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["mechanism"]["type"] == "flask" and exception["mechanism"]["handled"] is False
    assert event["tags"]["service"] == "demo" and event["tags"]["process"] == "web"
    assert event["environment"] == "staging"
    assert event["release"].endswith("@0.1.0")
    assert event["request"]["url"].endswith("/boom") and event["request"]["method"] == "POST"
    assert "user" not in event
    assert sentry_sdk.get_client().should_send_default_pii() is False
    wire = b"".join(sentry_receiver.raw).decode()
    for private in (CAROL, "carol%40example.com", TOKEN, "secret-token-value", "cookie-value-9f8e7d", API_KEY,
                    "hunter2", "203.0.113.7"):
        assert private not in wire, f"{private!r} reached Sentry"
    assert "could not notify [email]" in wire  # the message stays useful, the address is gone


def test_a_route_that_answers_sends_nothing(reporting_app, sentry_receiver):
    assert reporting_app.test_client().get("/fine").status_code == 200
    sentry_sdk.flush(5)
    assert sentry_receiver.envelopes == []  # no transaction either: tracing is off at rate 0


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


def test_without_sentry_dsn_nothing_is_sent_and_sentry_sdk_is_not_even_loaded(sentry_receiver, redis_url):
    environ = {key: value for key, value in os.environ.items() if not key.startswith("SENTRY_")}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from polystatus import settings
        from polystatus.app_factory import create_service_app

        app = create_service_app("demo", service="demo", title="Demo", description="d",
                                 settings=settings.common(port=5999, redis_db=0),
                                 config={{"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "REDIS_URL": "{redis_url}"}})

        @app.get("/boom")
        def boom():
            raise RuntimeError("kaboom")

        assert app.test_client().get("/boom").status_code == 500
        print("sentry_sdk loaded:", "sentry_sdk" in sys.modules)
        """)], env=environ, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "sentry_sdk loaded: False" in result.stdout
    assert sentry_receiver.envelopes == []


def test_a_worker_loop_that_crashes_is_reported_by_the_runner(sentry_receiver, tmp_path):
    result = run_python("""
        import sys
        from polystatus.runner import run_loops

        def sync(stop):
            raise KeyError("subscriber dan@example.com vanished")

        sys.exit(run_loops("comms", {"sync": sync}, fmt="text"))
        """, {"SENTRY_DSN": sentry_receiver.dsn, "WORKER_ALIVE_FILE": str(tmp_path / "alive")})
    assert result.returncode == 1  # the runner still stops a worker whose loop crashed
    [event] = sentry_receiver.wait_for(lambda r: r.events)
    assert event["exception"]["values"][-1]["type"] == "KeyError"
    assert event["tags"]["service"] == "comms" and event["tags"]["process"] == "worker"
    assert event["release"] == "polystatus-comms@0.1.0"
    assert event["environment"] == "production"
    assert "dan@example.com" not in json.dumps(event)


@pytest.mark.parametrize(("name", "value"), [
    ("SENTRY_DSN", "not a dsn"),
    ("SENTRY_DSN", "https://o1.ingest.sentry.io/42"),  # no public key
    ("SENTRY_DSN", "https://key@o1.ingest.sentry.io/project"),  # no project id
    ("SENTRY_TRACES_SAMPLE_RATE", "1.5"),
    ("SENTRY_TRACES_SAMPLE_RATE", "often"),
])
def test_a_bad_sentry_setting_stops_the_start_naming_it(name, value):
    with pytest.raises(settings.SettingsError, match=name):
        settings.common({name: value}, port=5001, redis_db=1)


def test_sentry_settings_default_to_off():
    config = settings.common({}, port=5001, redis_db=1)
    assert (config["SENTRY_DSN"], config["SENTRY_ENVIRONMENT"], config["SENTRY_TRACES_SAMPLE_RATE"]) == \
        ("", "production", 0.0)
