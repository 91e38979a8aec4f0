"""CHANNELS_CONFIG: channels declared in YAML pass the API's rules, by name, idempotently."""
import threading
import time

import pytest
from comms.channels import flows
from polystatus.errors import Invalid

from comms import config_file, settings, worker

SENTRY_DSN = "sentry+https://0123456789abcdef@o1.ingest.sentry.io/42?environment=production"
SECRETS = {"CHANNEL_URL_SENTRY": SENTRY_DSN, "CHANNEL_URL_SLACK": "slack://T1234/B5678/abcdefSECRET"}

FILE = """
channels:
  - name: Sentry
    url_env: CHANNEL_URL_SENTRY
    events: [check.status_changed]
  - name: Ops Slack
    url_env: CHANNEL_URL_SLACK
    events: ["incident.*", check.status_changed]
    severities: [major, critical]
"""


def read_secret(name):
    return SECRETS.get(name)


def channels_by_name(client, as_):
    listing = client.get("/channels", headers=as_("alice")).get_json()["channels"]
    return {c["name"]: c for c in listing}


def test_a_file_declares_a_sentry_and_a_slack_channel_with_urls_from_the_environment(client, as_, r):
    outcome = flows.apply_config(r, FILE, read_secret=read_secret)
    assert outcome == {"channels": 2, "created": 2, "updated": 0, "unchanged": 0}
    seen = channels_by_name(client, as_)
    assert set(seen) == {"Sentry", "Ops Slack"}
    assert seen["Sentry"]["url"] == "sentry+https://****@o1.ingest.sentry.io/****"
    assert seen["Ops Slack"]["severities"] == ["major", "critical"]
    # the secret is stored for the sender, never answered
    assert "SECRET" not in client.get("/channels", headers=as_("alice")).get_data(as_text=True)


def test_applying_the_same_file_again_changes_nothing_and_an_edit_updates_in_place(client, as_, r):
    flows.apply_config(r, FILE, read_secret=read_secret)
    first_ids = {name: c["id"] for name, c in channels_by_name(client, as_).items()}
    assert flows.apply_config(r, FILE, read_secret=read_secret)["unchanged"] == 2
    edited = FILE.replace("severities: [major, critical]", "severities: [critical]")
    assert flows.apply_config(r, edited, read_secret=read_secret)["updated"] == 1
    seen = channels_by_name(client, as_)
    assert {name: c["id"] for name, c in seen.items()} == first_ids
    assert seen["Ops Slack"]["severities"] == ["critical"]


def test_channels_made_through_the_api_are_left_alone_by_the_file(client, as_, r):
    client.post("/channels", headers=as_("alice"), json={"name": "Hand made", "url": "json://h/x", "events": ["incident.*"]})
    flows.apply_config(r, FILE, read_secret=read_secret)
    assert set(channels_by_name(client, as_)) == {"Hand made", "Sentry", "Ops Slack"}


@pytest.mark.parametrize("item,field", [
    ("{name: Bad URL, url: 'no scheme', events: [incident.created]}", "url"),
    ("{name: Bad Sentry, url: 'sentry+https://o1.ingest.sentry.io/42', events: [incident.created]}", "url"),
    ("{name: Bad event, url: 'json://h/x', events: [incident.exploded]}", "events"),
    ("{name: No events, url: 'json://h/x'}", "events"),
    ("{name: Unset secret, url_env: CHANNEL_URL_NOPE, events: [incident.created]}", "url_env"),
    ("{name: Any variable, url_env: HOME, events: [incident.created]}", "url_env"),
    ("{name: Unknown field, url: 'json://h/x', events: [incident.created], colour: red}", "colour"),
])
def test_a_file_is_refused_where_the_api_refuses_and_nothing_of_it_is_applied(client, as_, r, item, field):
    text = FILE + f"  - {item}\n"
    with pytest.raises(config_file.ConfigError) as refused:
        flows.apply_config(r, text, read_secret=read_secret)
    (label, problems), = refused.value.details.items()
    assert label.startswith("channels[2] (")
    assert field in problems, problems
    assert channels_by_name(client, as_) == {}


def test_the_api_refuses_the_same_bad_url_the_file_refuses(client, as_):
    response = client.post("/channels", headers=as_("alice"), json={
        "name": "Bad Sentry", "url": "sentry+https://o1.ingest.sentry.io/42", "events": ["incident.created"]})
    assert response.status_code == 422
    assert "url" in response.get_json()["error"]["details"]


def test_two_channels_of_one_name_are_refused():
    text = FILE + "  - {name: Sentry, url: 'json://h/x', events: [incident.created]}\n"
    with pytest.raises(config_file.ConfigError) as refused:
        config_file.load(text, read_secret=read_secret)
    assert refused.value.details == {"channels": ["Names must be unique."]}


@pytest.mark.parametrize("text", ["channels: [", "checks: []", "channels: {name: x}"])
def test_a_file_that_is_not_a_list_of_channels_says_so(text):
    with pytest.raises(Invalid):
        config_file.load(text, read_secret=read_secret)


def test_reload_applies_the_file_for_admins_only(client, as_, tmp_path):
    path = tmp_path / "channels.yaml"
    path.write_text("channels:\n  - {name: Hooks, url: 'json://127.0.0.1/hook', events: [incident.created]}\n")
    client.application.config["CHANNELS_CONFIG"] = str(path)
    assert client.post("/config/reload", headers=as_("bob")).status_code == 403
    answer = client.post("/config/reload", headers=as_("alice"))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"channels": 1, "created": 1, "updated": 0, "unchanged": 0}
    path.write_text("channels:\n  - {name: Hooks, url: 'nope', events: [incident.created]}\n")
    refused = client.post("/config/reload", headers=as_("alice"))
    assert refused.status_code == 422
    assert "channels[0] (Hooks)" in refused.get_json()["error"]["details"]


def test_reload_without_a_file_is_a_conflict(client, as_):
    response = client.post("/config/reload", headers=as_("alice"))
    assert response.status_code == 409
    assert "CHANNELS_CONFIG" in response.get_json()["error"]["message"]


def test_the_worker_applies_the_file_when_it_starts(client, as_, config, tmp_path, monkeypatch):
    path = tmp_path / "channels.yaml"
    path.write_text(FILE)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    loops = worker.make_loops({**settings.load({}), **config, "CHANNELS_CONFIG": str(path)})
    stop = threading.Event()
    thread = threading.Thread(target=loops["channels-config"], args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while len(channels_by_name(client, as_)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert set(channels_by_name(client, as_)) == {"Sentry", "Ops Slack"}
    finally:
        stop.set()
        thread.join(5)
