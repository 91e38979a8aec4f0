"""Real checks against loopback HTTP and TCP servers."""
import json
import socket
from datetime import timedelta

import pytest
from csp_status.checks import engine, flows, service, storage


def make(client, as_, **body):
    body = {"name": "API health", "kind": "assertions", "interval": 60, **body}
    response = client.post("/checks", json=body, headers=as_("alice"))
    assert response.status_code == 201, response.json
    return response.json


def run(client, as_, check_id):
    response = client.post(f"/checks/{check_id}/run", headers=as_("bob"))
    assert response.status_code == 200, response.json
    return response.json


def test_assertions_hold_on_a_healthy_endpoint(client, as_, simulator):
    check = make(client, as_, url=f"{simulator}/sim/always-up",
                 conditions=["[STATUS] == 200", '[BODY].status == "ok"', "[RESPONSE_TIME] < 5000"])
    result = run(client, as_, check["id"])
    assert result["ok"] is True and result["status"] == 200
    assert client.get(f"/checks/{check['id']}").json["state"] == "up"


def test_a_failing_condition_says_which_and_what_it_saw_as_gatus_shows_it(client, as_, served):
    served.routes["/health"] = (200, {"Content-Type": "application/json"}, json.dumps({"data": [{"id": 7}]}).encode())
    check = make(client, as_, url=served.url("/health"), conditions=["[STATUS] == 200", "[BODY].data[0].id == 5"])
    result = run(client, as_, check["id"])
    assert result["ok"] is False
    assert result["reason"] == "[BODY].data[0].id (7) == 5"  # as Gatus shows a failed condition


def test_a_check_goes_down_after_n_failures_and_up_after_m_successes(client, as_, served, r):
    served.routes["/h"] = (500, {}, b"no")
    check = make(client, as_, url=served.url("/h"), fail_threshold=2, success_threshold=2)
    run(client, as_, check["id"])
    assert client.get(f"/checks/{check['id']}").json["state"] == "new"
    run(client, as_, check["id"])
    assert client.get(f"/checks/{check['id']}").json["state"] == "down"
    served.routes["/h"] = (200, {}, b"{}")
    run(client, as_, check["id"])
    assert client.get(f"/checks/{check['id']}").json["state"] == "down"
    run(client, as_, check["id"])
    assert client.get(f"/checks/{check['id']}").json["state"] == "up"
    types = [(f["type"], json.loads(f["data"])["state"]) for _, f in r.xrange("events:csp-status")
             if f["type"] != "audit.recorded"]
    assert types == [("check.status_changed", "down"), ("check.status_changed", "up")]


def test_the_health_endpoint_answers_200_healthy_and_500_unhealthy(client, as_, served):
    served.routes["/h"] = (200, {}, b"{}")
    check = make(client, as_, url=served.url("/h"), fail_threshold=1)
    run(client, as_, check["id"])
    assert client.get(f"/checks/{check['id']}/health").status_code == 200
    served.routes["/h"] = (503, {}, b"{}")
    run(client, as_, check["id"])
    assert client.get(f"/checks/{check['id']}/health").status_code == 500
    badge = client.get(f"/checks/{check['id']}/badge.svg")
    assert badge.content_type == "image/svg+xml" and b"down" in badge.data


def test_freshness_stores_the_lag_and_fails_when_stale(client, as_, simulator, clock):
    check = make(client, as_, name="Freshness", kind="freshness", url=f"{simulator}/sim/stale-time",
                 field="computed_time", max_age=120, fail_threshold=1)
    clock.set(clock.now().replace(minute=5))  # a moving phase
    fresh = run(client, as_, check["id"])
    assert fresh["ok"] is True and fresh["lag_s"] is not None and fresh["lag_s"] < 120
    clock.set(clock.now().replace(minute=14, second=30))  # frozen since minute 11
    stale = run(client, as_, check["id"])
    assert stale["ok"] is False and stale["lag_s"] > 120 and "computed_time" in stale["reason"]


def test_the_task_contract_of_py_pinger(client, as_, served, clock):
    now = clock.now()
    served.routes["/task"] = (200, {}, json.dumps({"status": "ok", "lastrun": (now - timedelta(minutes=5)).isoformat(),
                                                   "frequency": 10}).encode())
    check = make(client, as_, name="Task", kind="task", url=served.url("/task"), fail_threshold=1)
    assert run(client, as_, check["id"])["ok"] is True
    served.routes["/task"] = (200, {}, json.dumps({"status": "error", "reason": "disk full",
                                                   "lastrun": now.isoformat(), "frequency": 10}).encode())
    assert "disk full" in run(client, as_, check["id"])["reason"]
    served.routes["/task"] = (200, {}, json.dumps({"status": "ok", "lastrun": (now - timedelta(minutes=30)).isoformat(),
                                                   "frequency": 10}).encode())
    assert run(client, as_, check["id"])["ok"] is False


def test_a_late_task_is_fine_inside_its_sleep_window(clock):
    now = clock.now().replace(hour=22, minute=30)
    body = {"status": "ok", "lastrun": (now - timedelta(hours=2)).isoformat(), "frequency": 10,
            "sleep": [{"start": "22:00:00", "duration": 450}]}
    assert service.judge_task(body, now)[0] is True
    assert service.judge_task({**body, "sleep": []}, now)[0] is False


def test_tcp_and_dns_checks(client, as_):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    tcp = make(client, as_, name="TCP", kind="tcp", host="127.0.0.1", port=port)
    assert run(client, as_, tcp["id"])["ok"] is True
    listener.close()
    assert run(client, as_, tcp["id"])["ok"] is False
    dns = make(client, as_, name="DNS", kind="dns", host="localhost", expect="127.0.0.1")
    assert run(client, as_, dns["id"])["ok"] is True


def test_a_name_containing_nok_is_refused(client, as_, simulator):
    response = client.post("/checks", json={"name": "BankNOKService", "kind": "assertions",
                                            "url": f"{simulator}/sim/always-up"}, headers=as_("alice"))
    assert response.status_code == 422 and "NOK" in response.json["error"]["message"]


def test_a_condition_that_does_not_parse_is_refused_saying_why_as_gatus_does(client, as_, simulator):
    response = client.post("/checks", json={"name": "x", "kind": "assertions", "url": f"{simulator}/sim/always-up",
                                            "conditions": ["[STATUS] = 200"]}, headers=as_("alice"))
    assert response.status_code == 422
    details = response.json["error"]["details"]["conditions"]["0"][0]
    assert details.startswith("invalid condition: [STATUS] = 200") and "space on each side" in details


def test_the_public_view_never_shows_tokens_or_headers(client, as_, simulator):
    check = make(client, as_, url=f"{simulator}/sim/always-up", bearer_token="s3cret-token",
                 headers={"X-Api-Key": "k3y"})
    text = json.dumps(client.get("/checks").json) + json.dumps(client.get(f"/checks/{check['id']}").json)
    assert "s3cret-token" not in text and "k3y" not in text


def test_the_quorum_rule_over_two_regions(app, r, clock):
    check = {"id": "q1", "name": "Quorum", "kind": "assertions", "interval": 60, "fail_threshold": 1}
    storage.save(r, check)
    flows.record(r, check, {"ok": False, "reason": "timeout"}, clock.now(), region="paris")
    state = flows.record(r, check, {"ok": True, "reason": "fine"}, clock.now(), region="frankfurt")
    assert state["state"] == "degraded"  # one region of two fails: not down
    state = flows.record(r, check, {"ok": False, "reason": "timeout"}, clock.now(), region="frankfurt")
    assert state["state"] == "down" and state["regions"]["paris"]["ok"] is False


def test_the_engine_runs_many_checks_concurrently(simulator):
    checks = [{"id": str(i), "kind": "assertions", "url": f"{simulator}/sim/slow?seconds=0.5",
               "conditions": ["[STATUS] == 200"]} for i in range(20)]
    import time

    started = time.perf_counter()
    results = engine.Engine(concurrency=20, allow_private=True).run(checks)
    assert all(result["ok"] for result in results)
    assert time.perf_counter() - started < 5  # 20 x 0.5 s one after the other would take 10 s


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 403), ("alice", 201)])
def test_only_admins_create_checks(client, as_, simulator, who, expected):
    response = client.post("/checks", json={"name": "x", "kind": "assertions", "url": f"{simulator}/sim/always-up"},
                           headers=as_(who))
    assert response.status_code == expected


def test_the_scheduler_runs_due_checks_once_and_pings_dryrun_first(app, r, clock, simulator):
    from csp_status import worker_checks

    check = {"id": "c1", "name": "Sim", "kind": "assertions", "url": f"{simulator}/sim/always-up", "interval": 60,
             "conditions": ["[STATUS] == 200"]}
    storage.save(r, check, next_run=clock.now().timestamp())
    checks_engine = engine.Engine(allow_private=True)
    first = worker_checks.cycle(r, app.config, clock, checks_engine)
    second = worker_checks.cycle(r, app.config, clock, checks_engine)
    assert first["ran"] == 1 and second["ran"] == 0
    from csp_status.heartbeats import storage as heartbeat_storage

    assert heartbeat_storage.state(r, worker_checks.DRYRUN_ID)["status"] == "up"


def test_an_edit_that_sends_null_or_an_empty_text_clears_an_optional_setting(client, as_, served):
    served.routes["/health"] = (200, {"Content-Type": "application/json"}, b'{"status": "ok"}')
    check = make(client, as_, url=served.url("/health"), body='{"ping": true}', headers={"X-Api-Key": "k3y"},
                 bearer_token="s3cret-token", conditions=["[STATUS] == 200"], group="nightly", timeout=3,
                 expiry_warning_days=[3])
    headers = as_("alice")
    before = client.get(f"/checks/{check['id']}/config", headers=headers).json
    assert before["body"] == '{"ping": true}' and before["has_bearer_token"] and before["headers"] == ["X-Api-Key"]
    cleared = client.patch(f"/checks/{check['id']}", headers=headers, json={
        "body": None, "bearer_token": None, "headers": {}, "conditions": [], "group": "", "timeout": None,
        "expiry_warning_days": None})
    assert cleared.status_code == 200, cleared.json
    after = client.get(f"/checks/{check['id']}/config", headers=headers).json
    for gone in ("body", "group", "expiry_warning_days"):
        assert gone not in after, (gone, after)
    assert after["has_bearer_token"] is False and after["headers"] == [] and after["conditions"] == []
    assert after["timeout"] == 10  # a setting with a default goes back to it
    assert after["url"] == served.url("/health") and after["name"] == "API health"  # what was not sent stays
    run(client, as_, check["id"])
    _, sent = served.hits[-1]
    assert "X-Api-Key" not in sent and "Authorization" not in sent
    # a setting the kind needs cannot be cleared; nor the name
    refused = client.patch(f"/checks/{check['id']}", json={"url": None}, headers=headers)
    assert refused.status_code == 422 and "url" in refused.json["error"]["details"]
    assert client.patch(f"/checks/{check['id']}", json={"name": None}, headers=headers).status_code == 422
    # null on a new check is the same as leaving it out
    fresh = client.post("/checks", headers=headers, json={"name": "Fresh", "kind": "assertions",
                                                          "url": served.url("/health"), "body": None, "method": None})
    assert fresh.status_code == 201, fresh.json
    settings = client.get(f"/checks/{fresh.json['id']}/config", headers=headers).json
    assert "body" not in settings and settings["method"] == "GET"
