"""What the admin pages need from csp-status: each condition's verdict when a check runs now,
and a heartbeat's schedule previewed before it is saved."""
import json

import pytest


def test_running_a_check_now_shows_each_conditions_verdict(client, as_, served):
    served.routes["/health"] = (200, {"Content-Type": "application/json"}, json.dumps({"status": "degraded"}).encode())
    check = client.post("/checks", headers=as_("alice"), json={
        "name": "Shop", "kind": "assertions", "url": served.url("/health"),
        "conditions": ["[STATUS] == 200", '[BODY].status == "ok"', "[RESPONSE_TIME] < 10000"]}).json
    result = client.post(f"/checks/{check['id']}/run", headers=as_("bob")).json
    assert [(v["condition"], v["ok"]) for v in result["conditions"]] == [
        ("[STATUS] == 200", True), ('[BODY].status == "ok"', False), ("[RESPONSE_TIME] < 10000", True)]
    assert result["conditions"][1]["reason"] == '[BODY].status (degraded) == "ok" (ok)'  # as Gatus shows it
    assert result["ok"] is False and result["reason"] == result["conditions"][1]["reason"]


def test_a_cron_schedule_is_previewed_in_its_time_zone(client, as_, clock):
    # the clock stands at 2026-03-02 12:00 UTC (13:00 in Paris)
    response = client.get("/heartbeats/preview", query_string={"schedule": "0 3 * * *", "tz": "Europe/Paris",
                                                               "grace": 900, "count": 3}, headers=as_("bob"))
    assert response.status_code == 200, response.json
    assert response.json["expected"] == ["2026-03-03T02:00:00.000Z", "2026-03-04T02:00:00.000Z",
                                         "2026-03-05T02:00:00.000Z"]
    assert response.json["down_after"][0] == "2026-03-03T02:15:00.000Z"


def test_a_timeout_is_previewed_as_regular_pings(client, as_):
    response = client.get("/heartbeats/preview?timeout=3600&grace=0&count=2", headers=as_("bob"))
    assert response.json["expected"] == ["2026-03-02T13:00:00.000Z", "2026-03-02T14:00:00.000Z"]


@pytest.mark.parametrize("query", ["schedule=not+cron", "schedule=0+3+*+*+*&tz=Mars/Olympus", "", "timeout=1"])
def test_a_bad_schedule_is_refused_with_a_reason(client, as_, query):
    response = client.get(f"/heartbeats/preview?{query}", headers=as_("bob"))
    assert response.status_code == 422 and response.json["error"]["details"]


def test_the_preview_is_for_staff(client, as_):
    assert client.get("/heartbeats/preview?timeout=60", headers=as_("carol")).status_code == 403


def test_an_admin_reads_a_checks_settings_to_edit_them_but_never_its_secrets(client, as_, served):
    check = client.post("/checks", headers=as_("alice"), json={
        "name": "Private API", "kind": "assertions", "url": served.url("/x"), "bearer_token": "s3cr3t-token",
        "headers": {"X-Api-Key": "k3y"}, "conditions": ["[STATUS] == 200"], "fail_threshold": 3}).json
    response = client.get(f"/checks/{check['id']}/config", headers=as_("alice"))
    assert response.status_code == 200
    assert response.json["conditions"] == ["[STATUS] == 200"] and response.json["fail_threshold"] == 3
    assert response.json["has_bearer_token"] is True and response.json["headers"] == ["X-Api-Key"]
    assert "s3cr3t" not in response.get_data(as_text=True) and "k3y" not in response.get_data(as_text=True)
    assert client.get(f"/checks/{check['id']}/config", headers=as_("bob")).status_code == 403
