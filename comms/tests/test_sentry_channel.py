"""The Sentry channel (Py Pinger reports to Sentry): check state changes become events in the
channel's Sentry project, one issue per check, resolved on recovery. Asserted on what a Sentry
server on loopback receives (polystatus.testing.SentryReceiver parses the real envelopes)."""
import json
import time

import pytest
import sentry_sdk
from comms.channels.service import mask, sentry_target
from comms.deliveries import flows
from comms.deliveries import storage as delivery_storage
from polystatus import error_reports, events
from polystatus.events import Event
from polystatus.testing import SentryReceiver, free_port
from test_deliveries import plan_and_send

SHOP = {"check_id": "c0ffee", "name": "Shop", "source": "check", "component_ids": ["web"]}


def check_event(r, state: str, previous: str, **data) -> Event:
    body = {**SHOP, "state": state, "previous_state": previous, "reason": "HTTP 500",
            "regions": {"local": state == "up", "paris-ovh": state == "up"},
            "last_result": {"ok": state == "up", "status": 200 if state == "up" else 500, "response_time_ms": 81.5,
                            "reason": "HTTP 500", "region": "paris-ovh"},
            "at": "2026-03-02T12:00:00.000Z", **data}
    pipe = r.pipeline(transaction=True)
    events.publish(pipe, "csp-status", "check.status_changed", body)
    pipe.execute()
    entry_id, fields = r.xrevrange("events:csp-status", count=1)[0]
    return Event.from_entry(entry_id, fields)


def sentry_url(receiver: SentryReceiver, *, resolve: bool = False, **options) -> str:
    if resolve:
        options.update(org=receiver.org, token=receiver.token, api=receiver.api_url)
    query = "&".join(f"{key}={value}" for key, value in options.items())
    return f"sentry+{receiver.dsn}" + (f"?{query}" if query else "")


def add_channel(client, as_, url: str, **extra) -> dict:
    response = client.post("/channels", headers=as_("alice"), json={
        "name": extra.pop("name", "Py Pinger's Sentry"), "url": url, "events": ["check.status_changed"], **extra})
    assert response.status_code == 201, response.json
    return response.json


def deliveries(r) -> list[dict]:
    return delivery_storage.recent(r, 100)


@pytest.fixture()
def sentry(sentry_receiver):
    return sentry_receiver


# ----------------------------------------------------------------------------- the channel URL
def test_a_sentry_channel_is_the_dsn_with_sentry_in_front():
    assert sentry_target("sentry+https://abc123@o42.ingest.sentry.io/4505?environment=prod") == {
        "dsn": "https://abc123@o42.ingest.sentry.io/4505", "environment": "prod", "org": "", "token": "",
        "api_url": "https://sentry.io"}
    assert sentry_target("sentry://abc123@o42.ingest.de.sentry.io/4505")["api_url"] == "https://de.sentry.io"
    self_hosted = sentry_target("sentry+http://abc123@sentry.lan:9000/7?org=ops&token=sntrys_a%2Bb%3D%3D")
    assert self_hosted["dsn"] == "http://abc123@sentry.lan:9000/7"
    assert (self_hosted["api_url"], self_hosted["org"], self_hosted["token"]) == ("http://sentry.lan:9000", "ops",
                                                                                  "sntrys_a+b==")


@pytest.mark.parametrize(("url", "problem"), [
    ("sentry+https://o42.ingest.sentry.io/4505", "public key"),
    ("sentry+https://abc@o42.ingest.sentry.io/my-project", "project id"),
    ("sentry+https://abc@o42.ingest.sentry.io/4505?token=sntryu_x", "org and token go together"),
    ("sentry+https://abc@o42.ingest.sentry.io/4505?level=debug", "unknown setting 'level'"),
    ("sentry+https://abc@o42.ingest.sentry.io/4505?org=a&org=b&token=t", "org is given twice"),
    ("sentry+https://abc@o42.ingest.sentry.io/4505?org=a&token=t&api=ftp://x", "api is the base URL"),
    ("sentry+https://abc@o42.ingest.sentry.io/4505?org=a&token=t&api=http://[x", "api is the base URL"),
    ("sentry+https://abc@[o42/4505", "not a name or an address"),
    ("sentry+https://abc@o42.ingest.sentry.io:99999/4505", "port is not a number"),
])
def test_a_sentry_channel_that_cannot_work_is_refused_with_the_reason(client, as_, url, problem):
    response = client.post("/channels", headers=as_("alice"), json={"name": "Sentry", "url": url,
                                                                      "events": ["check.status_changed"]})
    assert response.status_code == 422
    assert problem in response.json["error"]["details"]["url"][0]


def test_a_channel_url_with_a_broken_address_is_refused_not_a_crash(client, as_):
    response = client.post("/channels", headers=as_("alice"), json={"name": "x", "url": "json://[::1/hook",
                                                                      "events": ["incident.*"]})
    assert response.status_code == 422


def test_the_dsn_and_the_token_are_never_shown_again(client, as_):
    url = "sentry+https://5ecre7key@o42.ingest.sentry.io/4505?org=acme&token=sntryu_S3CRET"
    created = add_channel(client, as_, url)
    assert created["url"] == "sentry+https://****@o42.ingest.sentry.io/****" == mask(url)
    patched = client.patch(f"/channels/{created['id']}", headers=as_("alice"), json={"name": "Renamed"})
    for answer in (created, patched.json, client.get("/channels", headers=as_("alice")).json,
                   client.get(f"/channels/{created['id']}", headers=as_("alice")).json):
        assert "5ecre7key" not in json.dumps(answer) and "S3CRET" not in json.dumps(answer)


# ----------------------------------------------------------------------------- what arrives
def test_a_check_going_down_is_one_sentry_event_with_its_reason_regions_and_last_result(
        app, client, as_, r, clock, sentry):
    add_channel(client, as_, sentry_url(sentry, environment="pinger-prod"))
    _, counts = plan_and_send(app, r, check_event(r, "down", "up"), clock)
    assert counts["sent"] == 1

    [event] = sentry.events
    assert event["fingerprint"] == ["polystatus-check", "c0ffee"]
    assert event["level"] == "error"
    assert "Shop is down: HTTP 500" in json.dumps(event["message"])
    assert event["tags"]["check_id"] == "c0ffee" and event["tags"]["region"] == "local,paris-ovh"
    assert event["tags"]["state"] == "down" and event["environment"] == "pinger-prod"
    assert event["contexts"]["check"]["reason"] == "HTTP 500"
    assert event["contexts"]["last_result"]["status"] == 500
    assert event["contexts"]["regions"] == {"local": "down", "paris-ovh": "down"}
    [envelope] = sentry.envelopes
    assert f"sentry_key={sentry.key}" in envelope["auth"] and envelope["content_encoding"] == "gzip"


def test_a_degraded_check_is_a_warning_in_the_same_issue(app, client, as_, r, clock, sentry):
    add_channel(client, as_, sentry_url(sentry))
    plan_and_send(app, r, check_event(r, "degraded", "up", regions={"local": True, "paris-ovh": False}), clock)
    [event] = sentry.events
    assert event["level"] == "warning" and event["tags"]["region"] == "paris-ovh"
    assert event["fingerprint"] == ["polystatus-check", "c0ffee"]


def test_recovery_is_an_info_event_in_the_same_group_and_resolves_the_issue(app, client, as_, r, clock, sentry):
    add_channel(client, as_, sentry_url(sentry, resolve=True))
    plan_and_send(app, r, check_event(r, "down", "up"), clock)
    _, counts = plan_and_send(app, r, check_event(r, "up", "down"), clock)
    assert counts["sent"] == 1

    down, recovered = sentry.events
    assert recovered["level"] == "info" and recovered["fingerprint"] == down["fingerprint"]
    assert "Shop recovered" in json.dumps(recovered["message"])
    assert len(sentry.groups) == 1  # one Sentry issue for the check
    [(issue, change)] = sentry.issue_updates
    assert issue == sentry.event_groups[down["event_id"]] and change == {"status": "resolved"}


def test_without_a_token_recovery_only_annotates_the_issue(app, client, as_, r, clock, sentry):
    add_channel(client, as_, sentry_url(sentry))
    plan_and_send(app, r, check_event(r, "down", "up"), clock)
    plan_and_send(app, r, check_event(r, "up", "down"), clock)
    assert [e["level"] for e in sentry.events] == ["error", "info"]
    assert sentry.lookups == {} and sentry.issue_updates == []


def test_a_recovery_sentry_has_not_processed_yet_is_resolved_on_a_later_attempt(app, client, as_, r, clock, sentry):
    add_channel(client, as_, sentry_url(sentry, resolve=True))
    plan_and_send(app, r, check_event(r, "down", "up"), clock)
    sentry.processing_delay = 1  # Sentry ingests asynchronously: the first lookup finds nothing
    _, counts = plan_and_send(app, r, check_event(r, "up", "down"), clock)
    assert counts["failed"] == 1 and sentry.issue_updates == []
    [waiting] = [d for d in deliveries(r) if d["status"] == "failed"]
    assert "not processed it yet" in waiting["last_error"]

    clock.advance(minutes=1)
    assert flows.deliver_due(r, app.config, clock.now(), "test")["sent"] == 1
    assert len(sentry.issue_updates) == 1
    recovery_ids = [e["event_id"] for e in sentry.events if e["level"] == "info"]
    assert len(recovery_ids) == 2 and len(set(recovery_ids)) == 1  # the same event, which Sentry keeps once


def test_a_new_check_coming_up_sends_nothing_to_sentry(app, client, as_, r, clock, sentry):
    add_channel(client, as_, sentry_url(sentry))
    planned, counts = plan_and_send(app, r, check_event(r, "up", "new"), clock)
    assert planned == [] and sentry.envelopes == []


def test_a_heartbeat_gets_an_issue_of_its_own(app, client, as_, r, clock, sentry):
    add_channel(client, as_, sentry_url(sentry))
    plan_and_send(app, r, check_event(r, "down", "up", check_id="heartbeat:9f2", name="nightly backup",
                                      source="heartbeat", regions={}, reason="no ping for 25 min"), clock)
    [event] = sentry.events
    assert event["fingerprint"] == ["polystatus-check", "heartbeat:9f2"] and event["tags"]["source"] == "heartbeat"
    assert "region" not in event["tags"] and "nightly backup is down: no ping for 25 min" in json.dumps(event["message"])


def test_the_same_event_planned_twice_reaches_sentry_once(app, client, as_, r, clock, sentry):
    add_channel(client, as_, sentry_url(sentry))
    event = check_event(r, "down", "up")
    plan_and_send(app, r, event, clock)
    plan_and_send(app, r, event, clock)
    assert len(sentry.events) == 1


def test_two_sentry_channels_get_only_their_own_events_and_nothing_of_comms_own_reporting(
        app, client, as_, r, clock, sentry):
    other = SentryReceiver(key="fedcba9876543210fedcba9876543210", project="7")
    comms_own = SentryReceiver(key="00000000000000000000000000000000", project="1")
    own_client = error_reports.init_worker("comms", {"SENTRY_DSN": comms_own.dsn})  # comms' own, global
    sentry_sdk.set_tag("deployment", "blue")
    sentry_sdk.add_breadcrumb(message="comms' own breadcrumb")
    try:
        add_channel(client, as_, sentry_url(sentry, environment="a"), name="A")
        add_channel(client, as_, sentry_url(other, environment="b"), name="B")
        _, counts = plan_and_send(app, r, check_event(r, "down", "up"), clock)
        sentry_sdk.flush(5)
        assert counts["sent"] == 2
        [a], [b] = sentry.events, other.events
        assert (a["environment"], b["environment"]) == ("a", "b")
        assert comms_own.events == []
        for event in (a, b):
            assert "deployment" not in event["tags"] and "service" not in event["tags"]
            assert not {"server_name", "release", "modules", "breadcrumbs", "extra"} & set(event)
    finally:
        error_reports.finish(own_client)
        other.stop()
        comms_own.stop()


# ----------------------------------------------------------------------------- when Sentry fails
def test_sentry_rate_limiting_is_retried_later_and_a_wrong_key_is_a_dead_letter(app, client, as_, r, clock, sentry):
    add_channel(client, as_, sentry_url(sentry))
    sentry.answer_next(429)
    _, counts = plan_and_send(app, r, check_event(r, "down", "up"), clock)
    assert counts["failed"] == 1 and sentry.events == []
    clock.advance(minutes=1)
    assert flows.deliver_due(r, app.config, clock.now(), "test")["sent"] == 1
    assert len(sentry.events) == 1

    wrong_key = SentryReceiver(key="ffffffffffffffffffffffffffffffff")
    try:
        add_channel(client, as_, f"sentry+http://0123456789abcdef0123456789abcdef@127.0.0.1:{wrong_key.port}/42",
                    name="Wrong key")
        _, counts = plan_and_send(app, r, check_event(r, "up", "down"), clock)
        assert counts["dead"] == 1
        [dead] = [d for d in deliveries(r) if d["status"] == "dead"]
        assert "HTTP 401" in dead["last_error"] and "check the DSN" in dead["last_error"]
    finally:
        wrong_key.stop()


def test_an_unreachable_sentry_fails_within_the_timeout_and_is_retried(app, client, as_, r, clock):
    add_channel(client, as_, f"sentry+http://0123456789abcdef@127.0.0.1:{free_port()}/42")
    started = time.monotonic()
    _, counts = plan_and_send(app, r, check_event(r, "down", "up"), clock)
    assert counts["failed"] == 1 and time.monotonic() - started < 5
    [failed] = deliveries(r)
    assert "Sentry unreachable" in failed["last_error"]


def test_a_log_only_sentry_channel_sends_nothing(app, client, as_, r, clock, sentry):
    add_channel(client, as_, sentry_url(sentry), log_only=True)
    _, counts = plan_and_send(app, r, check_event(r, "down", "up"), clock)
    assert counts["logged"] == 1 and sentry.envelopes == []


def test_reminders_of_an_unacknowledged_alert_are_not_sent_to_sentry(app, client, as_, r, clock, sentry):
    add_channel(client, as_, sentry_url(sentry))
    plan_and_send(app, r, check_event(r, "down", "up"), clock)
    clock.advance(minutes=app.config["ALERT_REPEAT_MINUTES"] + 1)
    assert flows.repeat_alerts(r, app.config, clock.now()) == 0
    flows.deliver_due(r, app.config, clock.now(), "test")
    assert len(sentry.events) == 1


def test_send_a_test_reaches_a_sentry_channel_as_an_info_event_of_its_own(client, as_, sentry):
    channel = add_channel(client, as_, sentry_url(sentry, environment="staging"))
    response = client.post(f"/channels/{channel['id']}/test", headers=as_("alice"))
    assert response.status_code == 200 and response.json["ok"] is True, response.json
    [event] = sentry.wait_for(lambda receiver: receiver.events, timeout=10)
    assert event["level"] == "info" and event["environment"] == "staging"
    assert event["fingerprint"] == ["polystatus-test"] and "[Test] PolyStatus channel check" in event["message"]


def test_send_a_test_to_a_sentry_channel_with_a_wrong_key_says_why(client, as_, sentry):
    channel = add_channel(client, as_, sentry_url(sentry).replace(sentry.key, "f" * 32))
    response = client.post(f"/channels/{channel['id']}/test", headers=as_("alice"))
    assert response.status_code == 200 and response.json["ok"] is False
    assert "HTTP 401" in response.json["error"] and sentry.events == []
