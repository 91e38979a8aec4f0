import pytest
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
    ("checks:\n  - name: x\n    kind: assertions\n    url: http://a.b/\n    conditions: ['[STATUS] = 1']", "position"),
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
        config_file.load("checks:\n  - {name: a, kind: dns, host: x}\n  - {name: a, kind: dns, host: y}")
