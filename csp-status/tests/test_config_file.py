import pytest
import yaml
from csp_status import config_apply, config_file
from polystatus.errors import Invalid

VALID = """
checks:
  - name: API health
    kind: assertions
    url: http://127.0.0.1:9/health
    interval: 30
    conditions: ["[STATUS] == 200"]
  - name: Export freshness
    kind: freshness
    url: http://127.0.0.1:9/version
    field: computed_time
    max_age: 900
heartbeats:
  - name: nightly-backup
    schedule: "0 3 * * *"
    tz: Europe/Paris
    grace: 3600
"""


def test_a_valid_file_is_applied_and_applying_it_again_changes_nothing(r, clock, app):
    first = config_apply.apply(r, VALID, clock.now(), app.config)
    assert first == {"created": 3, "updated": 0, "checks": 2, "heartbeats": 1}
    assert config_apply.apply(r, VALID, clock.now(), app.config)["created"] == 0
    changed = VALID.replace("interval: 30", "interval: 45")
    assert config_apply.apply(r, changed, clock.now(), app.config)["updated"] == 1


@pytest.mark.parametrize("text,fragment", [
    ("checks: [\n  - name: x\n   kind: tcp", "line"),
    ("checks:\n  - name: Bad NOK\n    kind: tcp\n    host: a\n    port: 1", "NOK"),
    ("checks:\n  - name: x\n    kind: teleport", "kind"),
    ("checks:\n  - name: x\n    kind: assertions\n    url: http://a.b/\n    conditions: ['[STATUS] = 1']", "invalid condition"),
    ("heartbeats:\n  - name: x\n    schedule: 'every day'", "schedule"),
    ("pages: []", "sections"),
])
def test_an_invalid_file_says_where_and_applies_nothing(r, clock, app, text, fragment):
    with pytest.raises(Invalid) as raised:
        config_apply.apply(r, text, clock.now(), app.config)
    assert fragment in str(raised.value.message) + str(raised.value.details)
    assert r.zcard("checks") == 0


def test_reload_through_the_api(app, client, as_, tmp_path):
    path = tmp_path / "checks.yml"
    path.write_text(VALID)
    app.config["CHECKS_CONFIG"] = str(path)
    assert client.post("/config/reload", headers=as_("bob")).status_code == 403
    response = client.post("/config/reload", headers=as_("alice"))
    assert response.status_code == 200 and response.json["created"] == 3
    path.write_text("checks: [oops")
    assert client.post("/config/reload", headers=as_("alice")).status_code == 422


def test_the_loader_alone_rejects_duplicate_names():
    with pytest.raises(config_file.ConfigError):
        config_file.load("checks:\n  - {name: a, kind: dns, host: x}\n  - {name: a, kind: dns, host: y}",
                         allow_private=True)


REFUSED_BY_THE_API = {
    "a private target": {"name": "Metadata", "kind": "assertions", "url": "http://169.254.169.254/latest/"},
    "a loopback tcp target": {"name": "Local redis", "kind": "tcp", "host": "127.0.0.1", "port": 6379},
    "a dns server on a private address": {"name": "Inside DNS", "kind": "dns", "host": "example.com",
                                          "server": "10.0.0.53"},
    "no url": {"name": "No url", "kind": "assertions"},
    "no max_age": {"name": "Fresh", "kind": "freshness", "url": "http://93.184.215.14/v"},
    "no port": {"name": "Port", "kind": "tcp", "host": "93.184.215.14"},
    "a condition Gatus refuses": {"name": "Bad", "kind": "assertions", "url": "http://93.184.215.14/",
                                  "conditions": ["[STATUS]==200"]},
    "[DOMAIN_EXPIRATION] checked every minute": {"name": "Domain", "kind": "assertions", "url": "http://93.184.215.14/",
                                                 "interval": 60, "conditions": ["[DOMAIN_EXPIRATION] > 720h"]},
    "a name with NOK": {"name": "Is it NOK", "kind": "dns", "host": "example.com"},
}


@pytest.mark.parametrize("check", REFUSED_BY_THE_API.values(), ids=REFUSED_BY_THE_API.keys())
def test_the_yaml_file_refuses_what_the_api_refuses(base_config, clock, as_, check):
    from csp_status.app import create_app

    app = create_app({**base_config, "CSP_ALLOW_PRIVATE_TARGETS": False, "CLOCK": clock})
    api = app.test_client().post("/checks", json=check, headers=as_("alice"))
    assert api.status_code == 422, api.json
    r = app.extensions["redis"]
    with pytest.raises(Invalid) as refused:
        config_apply.apply(r, yaml.safe_dump({"checks": [check]}), clock.now(), app.config)
    # the same fields are named, by the API and by the file
    assert set(api.json["error"]["details"]) <= set(next(iter(refused.value.details.values())))
    assert r.zcard("checks") == 0


HEARTBEATS_REFUSED_BY_THE_API = {
    "no name": {"timeout": 60},
    "neither timeout nor schedule": {"name": "nightly"},
    "a cron that does not parse": {"name": "nightly", "schedule": "61 * * * *"},
    "an unknown time zone": {"name": "nightly", "schedule": "0 3 * * *", "tz": "Mars/Olympus"},
}


@pytest.mark.parametrize("heartbeat", HEARTBEATS_REFUSED_BY_THE_API.values(), ids=HEARTBEATS_REFUSED_BY_THE_API.keys())
def test_the_yaml_file_refuses_the_heartbeats_the_api_refuses(app, client, as_, clock, heartbeat):
    api = client.post("/heartbeats", json=heartbeat, headers=as_("alice"))
    assert api.status_code == 422, api.json
    r = app.extensions["redis"]
    with pytest.raises(Invalid):
        config_apply.apply(r, yaml.safe_dump({"heartbeats": [heartbeat]}), clock.now(), app.config)
    assert client.get("/heartbeats", headers=as_("alice")).json["heartbeats"] == []


def test_the_example_config_file_declares_every_kind_it_shows():
    import os

    from csp_status import config_file

    path = os.path.join(os.path.dirname(__file__), "..", "checks.example.yml")
    with open(path, encoding="utf-8") as handle:
        doc = config_file.load(handle.read(), allow_private=False)
    assert {c["kind"] for c in doc["checks"]} == {"assertions", "sql", "redis", "icmp"}
