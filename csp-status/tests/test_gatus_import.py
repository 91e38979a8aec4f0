"""Importing a Gatus config.yaml unchanged: Gatus's own configuration and its README's examples,
through the API and the CLI."""
import json
import os
import subprocess
import sys

import pytest
import yaml
from csp_status.checks import storage
from csp_status.heartbeats import storage as heartbeat_storage

HERE = os.path.join(os.path.dirname(__file__), "gatus_configs")


def text(name: str) -> str:
    with open(os.path.join(HERE, name), encoding="utf-8") as handle:
        return handle.read()


def import_(client, as_, config: str, who="alice", **extra):
    return client.post("/import/gatus", json={"config": config, **extra}, headers=as_(who))


def test_gatus_own_config_imports_and_importing_it_again_changes_nothing(client, as_, r):
    first = import_(client, as_, text("gatus-repo-config.yaml"))
    assert first.status_code == 200, first.json
    report = first.json
    assert report["created"] == ["front-end", "back-end", "monitoring", "nas", "example-dns-query", "icmp-ping",
                                 "check-domain-expiration"]
    assert report["skipped"] == []
    icmp = storage.by_name(r, "icmp-ping")
    assert {k: icmp[k] for k in ("kind", "host", "interval", "conditions")} == {
        "kind": "icmp", "host": "example.org", "interval": 60, "conditions": ["[CONNECTED] == true"]}
    front = storage.by_name(r, "front-end")
    assert {k: front[k] for k in ("kind", "group", "url", "interval", "method", "conditions")} == {
        "kind": "assertions", "group": "core", "url": "https://twin.sh/health", "interval": 300, "method": "GET",
        "conditions": ["[STATUS] == 200", "[BODY].status == UP", "[RESPONSE_TIME] < 150"]}
    dns = storage.by_name(r, "example-dns-query")
    assert {k: dns[k] for k in ("kind", "host", "server", "query_type")} == {
        "kind": "dns", "host": "example.com", "server": "8.8.8.8", "query_type": "A"}
    assert storage.by_name(r, "check-domain-expiration")["interval"] == 3600
    again = import_(client, as_, text("gatus-repo-config.yaml")).json
    assert again["created"] == [] and again["updated"] == [] and len(again["unchanged"]) == 7
    assert r.zcard("checks") == 7


def test_the_readme_examples_import_with_each_kind_and_the_external_endpoint_as_a_heartbeat(client, as_, r):
    report = import_(client, as_, text("readme-examples.yaml")).json
    assert report["created"] == ["website", "make-sure-header-is-rendered", "example-dns-query", "redis",
                                 "check-domain-and-certificate-expiration", "filter-users-by-gender", "ext-ep-test"]
    redis = storage.by_name(r, "redis")
    assert {k: redis[k] for k in ("kind", "host", "port", "interval")} == {"kind": "tcp", "host": "127.0.0.1",
                                                                          "port": 6379, "interval": 30}
    graphql = storage.by_name(r, "filter-users-by-gender")
    body = yaml.safe_load(text("readme-examples.yaml"))["endpoints"][5]["body"]
    assert graphql["method"] == "POST" and json.loads(graphql["body"]) == {"query": body}
    assert graphql["headers"] == {"Content-Type": "application/json"}
    assert storage.by_name(r, "example-dns-query")["interval"] == 60  # Gatus's default
    heartbeat = next(h for h in heartbeat_storage.all_heartbeats(r) if h["name"] == "ext-ep-test")
    assert heartbeat["timeout"] == 1800 and heartbeat["grace"] == 0
    # the README's webhook is masked with asterisks: no Apprise URL can carry it, and the report says so
    assert [(s["section"], s["name"]) for s in report["skipped"]] == [("alerting", "discord")]


def test_alerting_providers_become_comms_channels_to_create_with_their_secrets_masked(client, as_):
    config = {
        "alerting": {
            "slack": {"webhook-url": "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/s3cretslackt0ken1234567"},
            "discord": {"webhook-url": "https://discord.com/api/webhooks/123456789012/s3cret-discord-token"},
            "email": {"from": "gatus@example.com", "username": "gatus@example.com", "password": "hunter2-s3cret",
                      "host": "mail.example.com", "port": 587, "to": "oncall@example.com"},
            "telegram": {"token": "123456:s3cretTelegramToken", "id": "987654"},
            "custom": {"url": "https://hooks.example.com/alert", "method": "POST", "body": "{}"},
            "pagerduty": {"integration-key": "s3cret-pagerduty"},
        },
        "endpoints": [{"name": "api", "url": "https://api.example.com/health", "conditions": ["[STATUS] == 200"],
                       "alerts": [{"type": "slack"}, {"type": "email"}, {"type": "teams"}]}],
    }
    response = import_(client, as_, yaml.safe_dump(config))
    report = response.json
    channels = {c["provider"]: c for c in report["to_create_in_comms"]}
    assert set(channels) == {"slack", "discord", "email", "telegram"}
    assert channels["slack"]["channel"]["url"].startswith("slack://") and channels["slack"]["used_by"] == ["api"]
    assert channels["email"]["channel"]["url"].startswith("mailtos://")
    assert channels["slack"]["channel"]["events"] == ["check.status_changed"]
    assert "s3cret" not in response.get_data(as_text=True) and "hunter2" not in response.get_data(as_text=True)
    assert {s["name"] for s in report["skipped"]} == {"custom", "pagerduty"}
    assert any("teams" in w for w in report["warnings"])


@pytest.mark.parametrize("endpoint,reason", [
    ({"name": "no-conditions", "url": "https://a.example/"}, "at least one condition per endpoint"),
    ({"name": "refused", "url": "https://a.example/", "conditions": ["[STATUS]==200"]}, "invalid condition"),
    ({"name": "often", "url": "https://a.example/", "interval": "1m", "conditions": ["[DOMAIN_EXPIRATION] > 720h"]},
     "minimum interval"),
    ({"name": "Is it NOK", "url": "https://a.example/", "conditions": ["[STATUS] == 200"]}, "NOK"),
    ({"name": "ssh", "url": "ssh://a.example:22", "conditions": ["[CONNECTED] == true"]}, "type ssh"),
    ({"name": "off", "url": "https://a.example/", "enabled": False, "conditions": ["[STATUS] == 200"]}, "disabled"),
])
def test_an_endpoint_refused_is_skipped_with_the_reason_and_the_rest_imported(client, as_, r, endpoint, reason):
    config = {"endpoints": [endpoint, {"name": "fine", "url": "https://b.example/", "conditions": ["[STATUS] == 200"]}]}
    report = import_(client, as_, yaml.safe_dump(config)).json
    assert report["created"] == ["fine"]
    assert len(report["skipped"]) == 1 and reason in report["skipped"][0]["reason"]


def test_a_private_target_is_skipped_when_private_targets_are_not_allowed(base_config, clock, as_):
    from csp_status.app import create_app

    client = create_app({**base_config, "CSP_ALLOW_PRIVATE_TARGETS": False, "CLOCK": clock}).test_client()
    report = import_(client, as_, text("readme-examples.yaml")).json
    skipped = {s["name"]: s["reason"] for s in report["skipped"]}
    assert "private or loopback" in skipped["redis"] and "redis" not in report["created"]


def test_a_dry_run_reports_and_writes_nothing(client, as_, r):
    report = import_(client, as_, text("gatus-repo-config.yaml"), dry_run=True).json
    assert report["dry_run"] is True and len(report["created"]) == 7
    assert r.zcard("checks") == 0


@pytest.mark.parametrize("who,status", [("bob", 403), ("carol", 403), (None, 401)])
def test_only_an_admin_imports(client, as_, who, status):
    assert import_(client, as_, text("gatus-repo-config.yaml"), who=who).status_code == status


@pytest.mark.parametrize("config,fragment", [("endpoints: [oops", "not valid YAML"), ("storage: {}", "has endpoints")])
def test_a_file_that_is_not_a_gatus_config_is_refused(client, as_, config, fragment):
    response = import_(client, as_, config)
    assert response.status_code == 422 and fragment in response.json["error"]["message"]


def test_the_cli_imports_a_file_and_prints_the_report_with_the_apprise_urls(base_config, r, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(text("readme-examples.yaml").replace("**********/**********", "123456789012/cli-discord-token"))
    env = {**os.environ, "REDIS_URL": base_config["REDIS_URL"], "CSP_ALLOW_PRIVATE_TARGETS": "1"}
    done = subprocess.run([sys.executable, "-m", "csp_status.gatus_import", str(config)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["created"]) == 7 and report["skipped"] == []
    # the operator holds the file: the CLI shows the whole URL to paste into comms
    assert "cli-discord-token" in report["to_create_in_comms"][0]["channel"]["url"]
    assert r.zcard("checks") == 6
