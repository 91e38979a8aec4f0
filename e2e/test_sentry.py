"""Py Pinger's Sentry reporting, through the whole cluster: a task check goes down in
csp-status, comms' worker turns the event into a Sentry event on the channel created through
its API, and the recovery resolves the Sentry issue. Sentry is a server on loopback that parses
the envelopes sentry-sdk sends (polystatus.testing.SentryReceiver)."""
import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from conftest import request
from polystatus.testing import JSONServer, SentryReceiver


@pytest.fixture()
def sentry():
    receiver = SentryReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture()
def task():
    """A task endpoint in Py Pinger's contract; the test changes what it reports in ``state``."""
    state = {"status": "error", "reason": "export failed: disk full"}
    server = JSONServer(lambda *_request: (200, {**state, "frequency": 60, "process": "nightly export",
                                                 "lastrun": datetime.now(UTC).isoformat()}))
    yield SimpleNamespace(url=f"{server.url}/task", state=state)
    server.stop()


def test_a_check_going_down_reaches_a_sentry_channel_and_its_recovery_resolves_the_issue(
        cluster, admin_token, sentry, task):
    auth = {"Authorization": f"Bearer {admin_token}"}
    status, channel, _ = request("POST", cluster.url("comms", "/channels"), {
        "name": "Py Pinger's Sentry", "events": ["check.status_changed"],
        "url": f"sentry+{sentry.dsn}?environment=e2e&org={sentry.org}&token={sentry.token}&api={sentry.api_url}"}, auth)
    assert status == 201, channel
    assert sentry.key not in json.dumps(channel) and sentry.token not in json.dumps(channel)
    status, check, _ = request("POST", cluster.url("csp-status", "/checks"), {
        "name": "e2e nightly export", "kind": "task", "url": task.url, "interval": 3600, "fail_threshold": 1,
        "run_in": ["local"]}, auth)
    assert status == 201, check
    try:
        status, result, _ = request("POST", cluster.url("csp-status", f"/checks/{check['id']}/run"), None, auth)
        assert status == 200 and result["ok"] is False, result

        def down_event(receiver):
            return [e for e in receiver.events if e["fingerprint"] == ["polystatus-check", check["id"]]]

        [event] = sentry.wait_for(down_event, timeout=30)
        assert event["level"] == "error" and event["environment"] == "e2e"
        assert event["tags"]["check_id"] == check["id"] and event["tags"]["region"] == "local"
        assert "disk full" in event["contexts"]["check"]["reason"]
        assert event["contexts"]["last_result"]["status"] == 200  # the endpoint answered; the task failed

        task.state.update(status="ok", reason="")
        status, result, _ = request("POST", cluster.url("csp-status", f"/checks/{check['id']}/run"), None, auth)
        assert status == 200 and result["ok"] is True, result
        [(issue, change)] = sentry.wait_for(lambda receiver: receiver.issue_updates, timeout=30)
        assert change == {"status": "resolved"} and issue == sentry.event_groups[event["event_id"]]
        assert [e["level"] for e in down_event(sentry)] == ["error", "info"]
    finally:
        request("DELETE", cluster.url("csp-status", f"/checks/{check['id']}"), None, auth)
        request("DELETE", cluster.url("comms", f"/channels/{channel['id']}"), None, auth)
