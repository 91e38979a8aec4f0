"""Heartbeats: healthchecks-compatible pings, schedules on a controllable clock, exactly-once."""
import json
import multiprocessing
from datetime import UTC, timedelta

import pytest
from csp_status.heartbeats import flows, storage


def make(client, as_, **body):
    body = {"name": "backup", "timeout": 3600, "grace": 600, **body}
    response = client.post("/heartbeats", json=body, headers=as_("alice"))
    assert response.status_code == 201, response.json
    return response.json


def state(client, as_, heartbeat_id):
    return client.get(f"/heartbeats/{heartbeat_id}", headers=as_("bob")).json["state"]


def test_a_heartbeat_has_a_ping_url_and_starts_new(client, as_):
    heartbeat = make(client, as_)
    assert heartbeat["ping_url"] == f"https://status.example.com/ping/{heartbeat['id']}"
    assert heartbeat["state"] == "new"


@pytest.mark.parametrize("method", ["get", "post", "head"])
def test_a_ping_answers_ok_in_plain_text(client, as_, method):
    heartbeat = make(client, as_)
    response = getattr(client, method)(f"/ping/{heartbeat['id']}")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    if method != "head":
        assert response.data == b"OK"
    assert state(client, as_, heartbeat["id"]) == "up"


def test_start_fail_and_exit_statuses(client, as_):
    heartbeat = make(client, as_)
    client.get(f"/ping/{heartbeat['id']}/start?rid=run-1")
    assert state(client, as_, heartbeat["id"]) == "started"
    client.get(f"/ping/{heartbeat['id']}/0?rid=run-1")
    assert state(client, as_, heartbeat["id"]) == "up"
    client.post(f"/ping/{heartbeat['id']}/2", data="backup failed: disk full")
    assert state(client, as_, heartbeat["id"]) == "down"
    pings = client.get(f"/heartbeats/{heartbeat['id']}", headers=as_("bob")).json["recent_pings"]
    assert pings[0]["exit_status"] == 2 and "disk full" in pings[0]["body"]
    assert pings[-1]["rid"] == "run-1"
    assert client.get(f"/ping/{heartbeat['id']}/999").status_code == 422


def test_the_body_is_kept_up_to_10_kb(client, as_):
    heartbeat = make(client, as_)
    client.post(f"/ping/{heartbeat['id']}", data="x" * 20_000)
    pings = client.get(f"/heartbeats/{heartbeat['id']}", headers=as_("bob")).json["recent_pings"]
    assert len(pings[0]["body"]) == 10_000


def test_a_late_heartbeat_goes_through_grace_then_down_once(client, as_, r, clock):
    heartbeat = make(client, as_, timeout=3600, grace=600)
    client.get(f"/ping/{heartbeat['id']}")
    clock.advance(minutes=61)
    assert flows.sweep(r, clock.now()) == []
    assert state(client, as_, heartbeat["id"]) == "grace"
    clock.advance(minutes=10)
    assert flows.sweep(r, clock.now()) == [heartbeat["id"]]
    assert flows.sweep(r, clock.now()) == []
    assert state(client, as_, heartbeat["id"]) == "down"
    downs = [json.loads(f["data"]) for _, f in r.xrange("events:csp-status") if json.loads(f["data"])["state"] == "down"]
    assert len(downs) == 1 and downs[0]["source"] == "heartbeat"


def test_a_started_job_that_does_not_finish_within_grace_goes_down(client, as_, r, clock):
    heartbeat = make(client, as_, timeout=86400, grace=300)
    client.get(f"/ping/{heartbeat['id']}/start")
    clock.advance(minutes=6)
    assert flows.sweep(r, clock.now()) == [heartbeat["id"]]


def test_a_cron_schedule_in_a_time_zone(client, as_, r, clock):
    # 03:00 in Paris is 02:00 UTC in March (CET, UTC+1).
    heartbeat = make(client, as_, timeout=None, schedule="0 3 * * *", tz="Europe/Paris", grace=1800)
    clock.set(clock.now().replace(hour=2, minute=1))
    client.get(f"/ping/{heartbeat['id']}")
    clock.advance(hours=24, minutes=20)  # next day 02:21 UTC: due at 02:00 UTC, within grace
    assert flows.sweep(r, clock.now()) == []
    clock.advance(minutes=15)  # 02:36 UTC: past 02:00 + 30 min grace
    assert flows.sweep(r, clock.now()) == [heartbeat["id"]]


def test_invalid_schedules_and_time_zones_are_refused(client, as_):
    assert client.post("/heartbeats", json={"name": "x", "schedule": "61 * * * *"}, headers=as_("alice")).status_code == 422
    assert client.post("/heartbeats", json={"name": "x", "schedule": "0 3 * * *", "tz": "Mars/Olympus"},
                       headers=as_("alice")).status_code == 422
    assert client.post("/heartbeats", json={"name": "x"}, headers=as_("alice")).status_code == 422


def test_a_paused_or_retired_heartbeat_raises_no_alarm(client, as_, r, clock):
    heartbeat = make(client, as_)
    client.get(f"/ping/{heartbeat['id']}")
    client.patch(f"/heartbeats/{heartbeat['id']}", json={"paused": True}, headers=as_("alice"))
    clock.advance(days=2)
    assert flows.sweep(r, clock.now()) == []
    assert state(client, as_, heartbeat["id"]) == "paused"


def test_mega_test_api_apps_post_their_status(client, as_, r, clock):
    first = client.post("/api/apps/", json={"app_id": 23, "message": "OK:200"})
    assert first.status_code == 200 and first.json["state"] == "up"
    again = client.post("/api/apps/", json={"app_id": 23})
    assert again.json["heartbeat_id"] == first.json["heartbeat_id"]
    assert client.post("/api/apps/", json={"app_id": 23, "message": "ERROR:500"}).json["state"] == "down"
    # retired: silence raises no alarm
    client.post("/api/apps/", json={"app_id": 23, "message": "OK"})
    client.patch(f"/heartbeats/{first.json['heartbeat_id']}", json={"retired": True}, headers=as_("alice"))
    clock.advance(days=1)
    assert flows.sweep(r, clock.now()) == []


def test_ping_urls_are_not_public(client, as_):
    make(client, as_)
    assert client.get("/heartbeats").status_code == 401
    assert client.get("/heartbeats", headers=as_("carol")).status_code == 403
    public = client.get("/heartbeats/public").json["heartbeats"]
    assert public and "ping_url" not in public[0]


def test_unknown_heartbeats_are_404(client):
    assert client.get("/ping/0b8e6f51-9d4e-4d8e-9f3a-000000000000").status_code == 404
    assert client.get("/ping/not-a-uuid").status_code == 404


def _sweep_in_process(redis_url, when_ts, queue):
    from datetime import datetime

    import redis as redis_lib

    r = redis_lib.Redis.from_url(redis_url, decode_responses=True)
    queue.put(flows.sweep(r, datetime.fromtimestamp(when_ts, UTC)))


def test_two_worker_processes_flip_a_late_heartbeat_exactly_once(client, as_, r, clock, redis_url):
    ids = [make(client, as_, name=f"job-{i}", timeout=60, grace=0)["id"] for i in range(20)]
    for heartbeat_id in ids:
        client.get(f"/ping/{heartbeat_id}")
    when = (clock.now() + timedelta(minutes=5)).timestamp()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_sweep_in_process, args=(redis_url, when, queue)) for _ in range(2)]
    for process in processes:
        process.start()
    flipped = queue.get(timeout=30) + queue.get(timeout=30)
    for process in processes:
        process.join(10)
    assert sorted(flipped) == sorted(ids)  # each exactly once across the two processes
    downs = [f for _, f in r.xrange("events:csp-status") if json.loads(f["data"])["state"] == "down"]
    assert len(downs) == 20
    assert all(storage.state(r, i)["state"] == "down" for i in ids)


def test_one_address_cannot_register_apps_without_limit(app, client, clock):
    app.config["APPS_NEW_PER_HOUR"] = 3
    for app_id in (1, 2, 3):
        assert client.post("/api/apps/", json={"app_id": app_id, "message": "OK"}).status_code == 200
    refused = client.post("/api/apps/", json={"app_id": 4, "message": "OK"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    # Apps already known keep posting; another address may still register.
    assert client.post("/api/apps/", json={"app_id": 2, "message": "OK"}).status_code == 200
    other = client.post("/api/apps/", json={"app_id": 5, "message": "OK"}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200
    clock.advance(minutes=61)  # the window is the service's clock's hour
    assert client.post("/api/apps/", json={"app_id": 4, "message": "OK"}).status_code == 200


def test_pings_get_the_same_answers_on_the_fast_transport_as_through_flask(base_config, clock, as_, redis_url):
    from csp_status.app import create_app
    from polystatus.testing import through_both_transports

    def make_app(extra):
        return create_app({**base_config, "CLOCK": clock, "PINGS_PER_MINUTE": 9, **extra})

    def scenario(client):
        heartbeat_id = make(client, as_, name="nightly", timeout=3600, grace=60)["id"]
        answers = [client.get(f"/ping/{heartbeat_id}"), client.get(f"/ping/{heartbeat_id}/start?rid=r1"),
                   client.post(f"/ping/{heartbeat_id}/0?rid=r1", data=b"backup done"),
                   client.get(f"/ping/{heartbeat_id}/1"), client.get(f"/ping/{heartbeat_id}/bogus"),
                   client.get("/ping/00000000-0000-4000-8000-000000000000"), client.get("/ping/not-a-uuid"),
                   client.get(f"/ping/{heartbeat_id}/fail"), client.get(f"/heartbeats/{heartbeat_id}", headers=as_("bob"))]
        answers += [client.get(f"/ping/{heartbeat_id}") for _ in range(5)]  # over the limit of 9
        return answers

    fast, flask, fast_answers = through_both_transports(make_app, scenario, redis_url)
    # The heartbeat's own page carries times and ids that differ between runs: compare its state.
    fast[8], flask[8] = fast[8][1]["state"], flask[8][1]["state"]
    assert fast == flask
    assert [a[0] for a in fast[:8]] == [200, 200, 200, 200, 422, 404, 404, 200] and fast[8] == "down"
    assert fast[-1][0] == 429 and fast_answers == 13
