"""Heartbeats: Healthchecks' pinging API to the letter (its documented answers, headers and
state changes, transcribed from its docs and its own ping tests), schedules on a controllable
clock, exactly-once flips, and our own /heartbeats API beside it."""
import json
import multiprocessing
import uuid
from datetime import UTC, timedelta

import pytest
from csp_status.heartbeats import flows, storage

RID = "123e4567-e89b-12d3-a456-426614174000"


def make(client, as_, **body):
    body = {"name": "backup", "timeout": 3600, "grace": 600, **body}
    response = client.post("/heartbeats", json=body, headers=as_("alice"))
    assert response.status_code == 201, response.json
    return response.json


def shown(client, as_, heartbeat_id):
    return client.get(f"/heartbeats/{heartbeat_id}", headers=as_("bob")).json


def state(client, as_, heartbeat_id):
    return shown(client, as_, heartbeat_id)["state"]


def sweep(app, clock):
    return flows.sweep(app.extensions["redis"], app.extensions["heartbeat_scripts"], clock.now())


def events(r, kind=None):
    found = [json.loads(f["data"]) for _, f in r.xrange("events:csp-status") if f["type"] != "audit.recorded"]
    return [e for e in found if kind is None or e["state"] == kind]


def test_a_heartbeat_has_a_ping_url_and_starts_new(client, as_):
    heartbeat = make(client, as_)
    assert heartbeat["ping_url"] == f"https://status.example.com/ping/{heartbeat['id']}"
    assert heartbeat["state"] == "new"


@pytest.mark.parametrize("method", ["get", "post", "head"])
def test_healthchecks_success_ping_answers_ok_in_plain_text_by_head_get_and_post(client, as_, method):
    heartbeat = make(client, as_)
    response = getattr(client, method)(f"/ping/{heartbeat['id']}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    if method != "head":
        assert response.data == b"OK"
    assert state(client, as_, heartbeat["id"]) == "up"


def test_healthchecks_ping_headers_open_cors_to_any_origin_give_the_body_limit_and_forbid_caching(client, as_):
    heartbeat = make(client, as_)
    for response in (client.get(f"/ping/{heartbeat['id']}"),
                     client.get(f"/ping/{heartbeat['id']}", headers={"Origin": "https://elsewhere.example"})):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Ping-Body-Limit"] == "10000"
        assert "no-cache" in response.headers["Cache-Control"] and "no-store" in response.headers["Cache-Control"]


def test_healthchecks_answers_not_found_for_an_unknown_uuid_and_for_urls_it_does_not_route(client, as_):
    heartbeat = make(client, as_)
    for path in ("/ping/07c2f548-9850-4b27-af5d-6c9dc157ec02", "/ping/07c2f548-9850-4b27-af5d-6c9dc157ec02/start",
                 "/ping/not-uuid", "/ping/07c2f54898504b27af5d6c9dc157ec02", f"/ping/{heartbeat['id']}/bogus/x"):
        response = client.get(path)
        assert (response.status_code, response.data) == (404, b"not found"), path


def test_healthchecks_exit_status_0_is_success_1_to_255_failure_and_above_255_invalid(client, as_, r):
    heartbeat = make(client, as_)
    assert client.get(f"/ping/{heartbeat['id']}/0").data == b"OK"
    assert state(client, as_, heartbeat["id"]) == "up"
    assert client.get(f"/ping/{heartbeat['id']}/123").status_code == 200
    assert state(client, as_, heartbeat["id"]) == "down"
    refused = client.get(f"/ping/{heartbeat['id']}/256")
    assert (refused.status_code, refused.data) == (400, b"invalid url format")
    logged = storage.pings(r, heartbeat["id"])
    assert [(p["type"], p["exitstatus"]) for p in logged] == [("fail", 123), ("success", 0)]


def test_healthchecks_fail_signal_flips_down_and_records_a_fail_flip_and_one_event(client, as_, r):
    heartbeat = make(client, as_, component_ids=["api"])
    client.get(f"/ping/{heartbeat['id']}")
    client.get(f"/ping/{heartbeat['id']}/fail")
    client.get(f"/ping/{heartbeat['id']}/fail")
    assert state(client, as_, heartbeat["id"]) == "down"
    assert [(f["old"], f["new"], f["reason"]) for f in storage.flips(r, heartbeat["id"])] == \
        [("up", "down", "fail"), ("new", "up", "")]
    downs = events(r, "down")
    assert len(downs) == 1 and downs[0]["previous_state"] == "up" and downs[0]["component_ids"] == ["api"]
    assert downs[0]["check_id"] == f"heartbeat:{heartbeat['id']}" and downs[0]["source"] == "heartbeat"


def test_healthchecks_log_signal_is_recorded_with_its_body_and_leaves_the_status_alone(client, as_, r):
    heartbeat = make(client, as_)
    response = client.post(f"/ping/{heartbeat['id']}/log", data="Hello World", content_type="text/plain")
    assert (response.status_code, response.data) == (200, b"OK")
    assert state(client, as_, heartbeat["id"]) == "new"
    logged = storage.pings(r, heartbeat["id"])
    assert logged[0]["type"] == "log" and logged[0]["body"] == "Hello World"
    assert storage.flips(r, heartbeat["id"]) == []


def test_healthchecks_stores_the_first_ping_body_limit_bytes_of_a_post_body(app, client, as_, r):
    heartbeat = make(client, as_)
    client.post(f"/ping/{heartbeat['id']}", data="x" * 20_000)
    assert len(storage.pings(r, heartbeat["id"])[0]["body"]) == 10_000
    app.config["PING_BODY_LIMIT"] = 5
    response = client.post(f"/ping/{heartbeat['id']}", data="hello world", content_type="text/plain")
    assert response.headers["Ping-Body-Limit"] == "5"
    assert storage.pings(r, heartbeat["id"])[0]["body"] == "hello"


def test_healthchecks_start_then_success_with_the_same_rid_measures_the_run(client, as_, r, clock):
    heartbeat = make(client, as_)
    assert client.get(f"/ping/{heartbeat['id']}/start?rid={RID}").status_code == 200
    assert state(client, as_, heartbeat["id"]) == "started"
    clock.advance(seconds=42)
    client.get(f"/ping/{heartbeat['id']}?rid={RID.upper()}")  # Healthchecks accepts an upper-case UUID
    seen = shown(client, as_, heartbeat["id"])
    assert seen["state"] == "up" and seen["last_duration_s"] == 42 and not seen["started"]
    assert storage.pings(r, heartbeat["id"])[0]["rid"] == RID


def test_healthchecks_keeps_a_run_going_when_another_rid_succeeds_and_ends_it_on_a_success_without_rid(client, as_):
    heartbeat = make(client, as_)
    client.get(f"/ping/{heartbeat['id']}/start?rid={RID}")
    client.get(f"/ping/{heartbeat['id']}?rid={uuid.uuid4()}")
    seen = shown(client, as_, heartbeat["id"])
    assert seen["started"] and seen["last_duration_s"] is None
    client.get(f"/ping/{heartbeat['id']}")
    assert not shown(client, as_, heartbeat["id"])["started"]


@pytest.mark.parametrize("rid", ["run-1", "123", "123e4567e89b12d3a456426614174000"])
def test_healthchecks_refuses_a_rid_that_is_not_a_canonical_uuid(client, as_, rid):
    heartbeat = make(client, as_)
    response = client.get(f"/ping/{heartbeat['id']}/start?rid={rid}")
    assert (response.status_code, response.data) == (400, b"invalid uuid format")
    assert state(client, as_, heartbeat["id"]) == "new"


def test_a_ping_unpauses_a_paused_heartbeat_as_healthchecks_does(client, as_, clock, app):
    heartbeat = make(client, as_)
    client.get(f"/ping/{heartbeat['id']}")
    client.patch(f"/heartbeats/{heartbeat['id']}", json={"paused": True}, headers=as_("alice"))
    clock.advance(days=2)
    assert sweep(app, clock) == []
    assert state(client, as_, heartbeat["id"]) == "paused"
    client.get(f"/ping/{heartbeat['id']}/start")
    assert state(client, as_, heartbeat["id"]) == "paused"  # a start does not unpause
    client.get(f"/ping/{heartbeat['id']}")
    assert state(client, as_, heartbeat["id"]) == "up"


def test_a_paused_heartbeat_with_manual_resume_ignores_pings_until_resumed(client, as_, r):
    heartbeat = make(client, as_, manual_resume=True)
    client.patch(f"/heartbeats/{heartbeat['id']}", json={"paused": True}, headers=as_("alice"))
    assert client.get(f"/ping/{heartbeat['id']}").data == b"OK"
    assert state(client, as_, heartbeat["id"]) == "paused"
    assert storage.pings(r, heartbeat["id"])[0]["type"] == "ign"
    client.patch(f"/heartbeats/{heartbeat['id']}", json={"paused": False}, headers=as_("alice"))
    assert state(client, as_, heartbeat["id"]) == "new"


def test_healthchecks_post_only_checks_ignore_get_pings(client, as_, r):
    heartbeat = make(client, as_, methods="POST")
    client.get(f"/ping/{heartbeat['id']}")
    assert state(client, as_, heartbeat["id"]) == "new" and storage.pings(r, heartbeat["id"])[0]["type"] == "ign"
    client.post(f"/ping/{heartbeat['id']}")
    assert state(client, as_, heartbeat["id"]) == "up"


def test_healthchecks_keyword_filters_classify_http_ping_bodies(client, as_, r, app):
    heartbeat = make(client, as_)
    scripts, cache = app.extensions["heartbeat_scripts"], app.extensions["heartbeat_cache"]
    flows.update(r, scripts, storage.get(r, heartbeat["id"]), {"filter_http_body": True, "success_kw": "SUCCESS",
                                                               "failure_kw": "FAIL", "start_kw": "STARTING"},
                 cache=cache)
    for body, kind in (("STARTING", "start"), ("SUCCESS!", "success"), ("hello world", "ign"), ("FAIL!", "fail")):
        client.post(f"/ping/{heartbeat['id']}", data=body, content_type="text/plain")
        assert storage.pings(r, heartbeat["id"])[0]["type"] == kind, body


def test_a_late_heartbeat_goes_through_grace_then_down_once(app, client, as_, r, clock):
    heartbeat = make(client, as_, timeout=3600, grace=600)
    client.get(f"/ping/{heartbeat['id']}")
    clock.advance(minutes=61)
    assert sweep(app, clock) == []
    assert state(client, as_, heartbeat["id"]) == "grace"
    clock.advance(minutes=10)
    assert sweep(app, clock) == [heartbeat["id"]]
    assert sweep(app, clock) == []
    assert state(client, as_, heartbeat["id"]) == "down"
    downs = events(r, "down")
    assert len(downs) == 1 and downs[0]["source"] == "heartbeat" and downs[0]["reason"] == "no ping in time"
    assert storage.flips(r, heartbeat["id"])[0]["reason"] == "timeout"


def test_a_started_job_that_does_not_finish_within_grace_goes_down(app, client, as_, clock):
    heartbeat = make(client, as_, timeout=86400, grace=300)
    client.get(f"/ping/{heartbeat['id']}/start")
    clock.advance(minutes=6)
    assert sweep(app, clock) == [heartbeat["id"]]
    assert shown(client, as_, heartbeat["id"])["state"] == "down"


def test_a_cron_schedule_in_a_time_zone(app, client, as_, clock):
    # 03:00 in Paris is 02:00 UTC in March (CET, UTC+1).
    heartbeat = make(client, as_, timeout=None, schedule="0 3 * * *", tz="Europe/Paris", grace=1800)
    clock.set(clock.now().replace(hour=2, minute=1))
    client.get(f"/ping/{heartbeat['id']}")
    clock.advance(hours=24, minutes=20)  # next day 02:21 UTC: due at 02:00 UTC, within grace
    assert sweep(app, clock) == []
    clock.advance(minutes=15)  # 02:36 UTC: past 02:00 + 30 min grace
    assert sweep(app, clock) == [heartbeat["id"]]


def test_a_changed_timeout_moves_the_deadline_at_once(app, client, as_, clock):
    heartbeat = make(client, as_, timeout=3600, grace=60)
    client.get(f"/ping/{heartbeat['id']}")
    client.patch(f"/heartbeats/{heartbeat['id']}", json={"timeout": 600}, headers=as_("alice"))
    clock.advance(minutes=12)
    assert sweep(app, clock) == [heartbeat["id"]]


def test_invalid_schedules_and_time_zones_are_refused(client, as_):
    assert client.post("/heartbeats", json={"name": "x", "schedule": "61 * * * *"}, headers=as_("alice")).status_code == 422
    assert client.post("/heartbeats", json={"name": "x", "schedule": "0 3 * * *", "tz": "Mars/Olympus"},
                       headers=as_("alice")).status_code == 422
    assert client.post("/heartbeats", json={"name": "x"}, headers=as_("alice")).status_code == 422
    assert client.post("/heartbeats", json={"name": "x", "timeout": 60, "slug": "Not A Slug"},
                       headers=as_("alice")).status_code == 422


def test_a_retired_heartbeat_raises_no_alarm(app, client, as_, clock):
    heartbeat = make(client, as_)
    client.get(f"/ping/{heartbeat['id']}")
    client.patch(f"/heartbeats/{heartbeat['id']}", json={"retired": True}, headers=as_("alice"))
    client.get(f"/ping/{heartbeat['id']}/fail")
    clock.advance(days=2)
    assert sweep(app, clock) == []
    assert state(client, as_, heartbeat["id"]) == "retired"


def test_mega_test_api_apps_post_their_status(app, client, as_, clock):
    first = client.post("/api/apps/", json={"app_id": 23, "message": "OK:200"})
    assert first.status_code == 200 and first.json["state"] == "up"
    again = client.post("/api/apps/", json={"app_id": 23})
    assert again.json["heartbeat_id"] == first.json["heartbeat_id"]
    assert client.post("/api/apps/", json={"app_id": 23, "message": "ERROR:500"}).json["state"] == "down"
    # retired: silence raises no alarm
    client.post("/api/apps/", json={"app_id": 23, "message": "OK"})
    client.patch(f"/heartbeats/{first.json['heartbeat_id']}", json={"retired": True}, headers=as_("alice"))
    clock.advance(days=1)
    assert sweep(app, clock) == []


def test_ping_urls_are_not_public(client, as_):
    make(client, as_)
    assert client.get("/heartbeats").status_code == 401
    assert client.get("/heartbeats", headers=as_("carol")).status_code == 403
    public = client.get("/heartbeats/public").json["heartbeats"]
    assert public and "ping_url" not in public[0]


# --- slug pings -------------------------------------------------------------------------------
@pytest.fixture()
def ping_key(client, as_):
    projects = client.get("/heartbeats/projects", headers=as_("alice")).json["projects"]
    return next(p["ping_key"] for p in projects if p["id"] == "default")


def test_healthchecks_slug_pings_by_ping_key_in_every_form(client, as_, r, ping_key):
    heartbeat = make(client, as_, slug="database-backup")
    base = f"/ping/{ping_key}/database-backup"
    for path, kind in ((f"{base}/start", "start"), (base, "success"), (f"{base}/log", "log"), (f"{base}/0", "success"),
                       (f"{base}/fail", "fail"), (f"{base}/3", "fail")):
        response = client.get(path)
        assert (response.status_code, response.data) == (200, b"OK"), path
        assert storage.pings(r, heartbeat["id"])[0]["type"] == kind, path
    assert client.get(f"{base}/256").data == b"invalid url format"


def test_healthchecks_slug_ping_answers_not_found_ambiguous_and_invalid_url(client, as_, ping_key):
    make(client, as_, name="one", slug="twice")
    make(client, as_, name="two", slug="twice")
    assert (client.get(f"/ping/{ping_key}/twice").status_code, client.get(f"/ping/{ping_key}/twice").data) == \
        (409, b"ambiguous slug")
    assert client.get(f"/ping/{ping_key}/nothing-here").data == b"not found"
    assert client.get("/ping/rrrrrrrrrrrrrrrrrrrrrr/twice").status_code == 404
    refused = client.get(f"/ping/{ping_key}/Twice")
    assert (refused.status_code, refused.data) == (400, b"invalid url format")


def test_healthchecks_auto_provisions_a_check_for_an_unknown_slug_with_create_1(client, as_, r, ping_key):
    assert client.get(f"/ping/{ping_key}/nightly-report").status_code == 404  # off by default
    created = client.get(f"/ping/{ping_key}/nightly-report/start?create=1")
    assert (created.status_code, created.data) == (201, b"Created")
    made = [h for h in storage.all_heartbeats(r) if h.get("slug") == "nightly-report"]
    assert len(made) == 1 and made[0]["name"] == "nightly-report"
    assert storage.pings(r, made[0]["id"])[0]["type"] == "start"
    again = client.get(f"/ping/{ping_key}/nightly-report?create=1")
    assert (again.status_code, again.data) == (200, b"OK")
    assert client.get("/ping/rrrrrrrrrrrrrrrrrrrrrr/other?create=1").status_code == 404


# --- exactly once, and both transports -----------------------------------------------------
def _sweep_in_process(redis_url, when_ts, queue):
    from datetime import datetime

    import redis as redis_lib

    r = redis_lib.Redis.from_url(redis_url, decode_responses=True)
    queue.put(flows.sweep(r, storage.Scripts(r), datetime.fromtimestamp(when_ts, UTC)))


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
    assert len(events(r, "down")) == 20
    assert all(storage.state(r, i)["status"] == "down" for i in ids)


def test_pings_from_many_threads_at_once_are_all_counted(app, client, as_, r):
    import threading

    app.config["PINGS_PER_MINUTE"] = 10_000
    heartbeat = make(client, as_)
    answers = []

    def pinger():
        local = app.test_client()
        answers.extend(local.get(f"/ping/{heartbeat['id']}").status_code for _ in range(25))

    threads = [threading.Thread(target=pinger) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 200
    assert storage.state(r, heartbeat["id"])["n_pings"] == 200


def test_pings_get_the_same_answers_on_the_fast_transport_as_through_flask(base_config, clock, as_, redis_url):
    from csp_status.app import create_app
    from polystatus.testing import through_both_transports

    def make_app(extra):
        return create_app({**base_config, "CLOCK": clock, "PINGS_PER_MINUTE": 9, **extra})

    def scenario(client):
        heartbeat_id = make(client, as_, name="nightly", timeout=3600, grace=60, slug="nightly")["id"]
        key = client.get("/heartbeats/projects", headers=as_("alice")).json["projects"][0]["ping_key"]
        answers = [client.get(f"/ping/{heartbeat_id}"), client.get(f"/ping/{heartbeat_id}/start?rid={RID}"),
                   client.post(f"/ping/{heartbeat_id}/0?rid={RID}", data=b"backup done"),
                   client.get(f"/ping/{heartbeat_id}/1"), client.get(f"/ping/{heartbeat_id}/bogus"),
                   client.get("/ping/00000000-0000-4000-8000-000000000000"), client.get("/ping/not-a-uuid"),
                   client.get(f"/ping/{heartbeat_id}/fail"), client.get(f"/ping/{heartbeat_id}/start?rid=nope"),
                   client.get(f"/ping/{heartbeat_id}/300"), client.get(f"/ping/{key}/nightly/log"),
                   client.get(f"/heartbeats/{heartbeat_id}", headers=as_("bob"))]
        answers += [client.get(f"/ping/{heartbeat_id}") for _ in range(5)]  # over the limit of 9
        return answers

    fast, flask, fast_answers = through_both_transports(make_app, scenario, redis_url)
    # The heartbeat's own page carries times and ids that differ between runs: compare its state.
    fast[11], flask[11] = fast[11][1]["state"], flask[11][1]["state"]
    assert fast == flask
    assert [(a[0], a[1]) for a in fast[:11]] == [
        (200, b"OK"), (200, b"OK"), (200, b"OK"), (200, b"OK"), (404, b"not found"), (404, b"not found"),
        (404, b"not found"), (200, b"OK"), (400, b"invalid uuid format"), (400, b"invalid url format"), (200, b"OK")]
    assert fast[11] == "down"
    assert fast[-1][0] == 429 and fast_answers == 16


def test_a_fast_ping_that_fails_after_its_write_answers_an_error_and_is_not_replayed(app, client, as_, r, monkeypatch):
    heartbeat = make(client, as_)
    calls = []
    original = storage.apply_ping

    def written_then_broken(*args, **kwargs):
        calls.append(original(*args, **kwargs))
        raise RuntimeError("broken after the write")

    monkeypatch.setattr(storage, "apply_ping", written_then_broken)
    response = client.get(f"/ping/{heartbeat['id']}")
    assert response.status_code == 500 and response.json["error"]["code"] == "internal_error"
    assert len(calls) == 1 and storage.state(r, heartbeat["id"])["n_pings"] == 1


def test_fast_pings_are_counted_under_the_flask_rule_of_their_kind(app, client, as_):
    heartbeat = make(client, as_)
    assert client.get(f"/ping/{heartbeat['id']}/start").status_code == 200
    assert client.get(f"/ping/{heartbeat['id']}").status_code == 200
    assert app.wsgi_app.answered == 2
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'method="GET",route="/ping/<heartbeat_id>/<suffix>",service="csp-status",status="200"} 1.0' in metrics
    assert 'method="GET",route="/ping/<heartbeat_id>",service="csp-status",status="200"} 1.0' in metrics


def test_a_job_changed_deleted_or_paused_through_another_replica_is_seen_at_once_by_pings(base_config, clock, as_, r):
    from csp_status.app import create_app

    first, second = (create_app({**base_config, "CLOCK": clock}).test_client() for _ in range(2))
    paused = make(first, as_, name="paused elsewhere", manual_resume=True)
    deleted = make(first, as_, name="deleted elsewhere")
    changed = make(first, as_, name="changed elsewhere")
    for heartbeat in (paused, deleted, changed):
        assert first.get(f"/ping/{heartbeat['id']}").data == b"OK"  # now in the first replica's cache
    second.patch(f"/heartbeats/{paused['id']}", json={"paused": True}, headers=as_("alice"))
    second.delete(f"/heartbeats/{deleted['id']}", headers=as_("alice"))
    second.patch(f"/heartbeats/{changed['id']}", json={"methods": "POST"}, headers=as_("alice"))
    assert first.get(f"/ping/{deleted['id']}").data == b"not found"
    first.get(f"/ping/{paused['id']}")
    assert state(first, as_, paused["id"]) == "paused"  # manual_resume: the ping was ignored
    first.get(f"/ping/{changed['id']}")
    assert storage.pings(r, changed["id"])[0]["type"] == "ign"  # POST only, from the first ping on
