"""Healthchecks' Management API v3 under /api/v3/, checked against Healthchecks' own documented
requests and answers (templates/docs/api.md: field names, status codes, error texts)."""
import hashlib
import json
import uuid

import pytest
from csp_status.heartbeats import storage

RID = "123e4567-e89b-12d3-a456-426614174000"
CHECK_FIELDS = {"name", "slug", "tags", "desc", "grace", "n_pings", "status", "started", "last_ping", "next_ping",
                "manual_resume", "methods", "subject", "subject_fail", "start_kw", "success_kw", "failure_kw",
                "filter_subject", "filter_body", "filter_http_body", "filter_default_fail"}
READ_WRITE_ONLY = {"uuid", "ping_url", "update_url", "pause_url", "resume_url", "channels"}


def new_key(client, as_, readonly=False, project="default"):
    response = client.post("/heartbeats/api-keys", json={"name": "scripts", "readonly": readonly, "project": project},
                           headers=as_("alice"))
    assert response.status_code == 201, response.json
    return response.json["key"]


@pytest.fixture()
def rw(client, as_):
    return {"X-Api-Key": new_key(client, as_)}


@pytest.fixture()
def ro(client, as_):
    return {"X-Api-Key": new_key(client, as_, readonly=True)}


def create(client, headers, **body):
    response = client.post("/api/v3/checks/", json=body, headers=headers)
    assert response.status_code in (200, 201), response.data
    return response.json


def test_healthchecks_api_keys_are_made_by_an_admin_shown_once_and_stored_hashed(client, as_, r):
    assert client.post("/heartbeats/api-keys", json={"name": "x"}, headers=as_("bob")).status_code == 403
    key = new_key(client, as_)
    assert len(key) == 32 and key.startswith("hcw_") and new_key(client, as_, readonly=True).startswith("hcr_")
    listed = client.get("/heartbeats/api-keys", headers=as_("alice")).json["keys"]
    assert all("key" not in item or item["key"] is None for item in listed)
    assert key not in json.dumps(r.hgetall("heartbeat-api-keys"))
    assert hashlib.sha256(key.encode()).hexdigest() in r.hgetall("heartbeat-api-keys")


def test_healthchecks_documented_create_example_with_the_header_and_with_api_key_in_the_body(client, as_, rw):
    body = {"name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}
    created = client.post("/api/v3/checks/", json=body, headers=rw)
    assert created.status_code == 201
    check = created.json
    assert CHECK_FIELDS | READ_WRITE_ONLY | {"timeout"} <= set(check)
    assert (check["name"], check["tags"], check["timeout"], check["grace"], check["status"], check["n_pings"]) == \
        ("Backups", "prod www", 3600, 60, "new", 0)
    assert check["ping_url"] == f"https://status.example.com/ping/{check['uuid']}"
    assert check["update_url"] == f"https://status.example.com/api/v3/checks/{check['uuid']}"
    assert check["pause_url"].endswith("/pause") and check["resume_url"].endswith("/resume")
    in_body = client.post("/api/v3/checks/", data=json.dumps({"api_key": rw["X-Api-Key"], **body, "name": "Other"}),
                          content_type="application/json")
    assert in_body.status_code == 201 and in_body.json["name"] == "Other"


def test_healthchecks_create_with_unique_updates_the_match_and_answers_200(client, rw):
    first = client.post("/api/v3/checks/", json={"name": "Backups", "timeout": 3600, "unique": ["name"]}, headers=rw)
    again = client.post("/api/v3/checks/", json={"name": "Backups", "timeout": 600, "unique": ["name"]}, headers=rw)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["uuid"] == first.json["uuid"] and again.json["timeout"] == 600
    listed = client.get("/api/v3/checks/", headers=rw).json["checks"]
    assert [c["name"] for c in listed] == ["Backups"]


def test_healthchecks_lists_checks_filtered_by_every_tag_given_and_by_slug(client, rw):
    create(client, rw, name="a", tags="prod db", slug="a")
    create(client, rw, name="b", tags="prod www", slug="b")
    create(client, rw, name="c", tags="staging db", slug="backups")
    names = lambda query: sorted(c["name"] for c in client.get(f"/api/v3/checks/{query}", headers=rw).json["checks"])  # noqa: E731
    assert names("") == ["a", "b", "c"]
    assert names("?tag=prod") == ["a", "b"]
    assert names("?tag=prod&tag=db") == ["a"]
    assert names("?slug=backups") == ["c"] and names("?slug=nothing") == []


def test_healthchecks_read_only_keys_see_unique_keys_not_uuids_and_cannot_write(client, rw, ro):
    check = create(client, rw, name="Database Backup", schedule="15 5 * * *", tz="UTC")
    seen = client.get("/api/v3/checks/", headers=ro).json["checks"][0]
    assert not READ_WRITE_ONLY & set(seen) and seen["schedule"] == "15 5 * * *" and "timeout" not in seen
    expected = hashlib.sha1(uuid.UUID(check["uuid"]).hex[:16].encode()).hexdigest()  # noqa: S324
    assert seen["unique_key"] == expected
    by_key = client.get(f"/api/v3/checks/{expected}", headers=ro)
    assert by_key.status_code == 200 and by_key.json["name"] == "Database Backup"
    refused = client.post("/api/v3/checks/", json={"name": "x"}, headers=ro)
    assert (refused.status_code, refused.json) == (401, {"error": "wrong api key"})
    assert client.post(f"/api/v3/checks/{check['uuid']}/pause", headers=ro).status_code == 401
    assert client.get(f"/api/v3/checks/{check['uuid']}/pings/", headers=ro).status_code == 401


def test_healthchecks_answers_missing_and_wrong_keys_with_401_and_other_projects_checks_with_403(client, as_, rw):
    check = create(client, rw, name="mine")
    assert client.get("/api/v3/checks/").json == {"error": "missing api key"}
    assert client.get("/api/v3/checks/", headers={"X-Api-Key": "x" * 32}).json == {"error": "wrong api key"}
    assert client.get("/api/v3/checks/", headers={"X-Api-Key": "x" * 32}).status_code == 401
    other = {"X-Api-Key": new_key(client, as_, project="team-b")}
    assert client.get("/api/v3/checks/", headers=other).json == {"checks": []}
    assert client.get(f"/api/v3/checks/{check['uuid']}", headers=other).status_code == 403
    assert client.get(f"/api/v3/checks/{uuid.uuid4()}", headers=rw).status_code == 404


@pytest.mark.parametrize(("body", "error"), [
    ({"timeout": 30}, "json validation error: timeout is too small"),
    ({"timeout": 31536001}, "json validation error: timeout is too large"),
    ({"timeout": "3600"}, "json validation error: timeout is not a number"),
    ({"name": None}, "json validation error: name is not a string"),
    ({"manual_resume": "yes"}, "json validation error: manual_resume is not a boolean"),
    ({"methods": "GET"}, "json validation error: methods has unexpected value"),
    ({"slug": "Not A Slug"}, "json validation error: slug does not match pattern"),
    ({"schedule": "61 * * * *"}, "json validation error: schedule is not a valid cron or OnCalendar expression"),
    ({"tz": "Mars/Olympus"}, "json validation error: tz is not a valid timezone"),
    ({"unique": ["colour"]}, "json validation error: an item in 'unique' has unexpected value"),
    ({"channels": "Email to Alice"}, "invalid channel identifier: Email to Alice"),
])
def test_healthchecks_refuses_what_its_spec_refuses_with_its_error_text(client, rw, body, error):
    response = client.post("/api/v3/checks/", json=body, headers=rw)
    assert (response.status_code, response.json) == (400, {"error": error})


def test_healthchecks_refuses_a_body_that_is_not_a_json_object(client, rw):
    garbled = client.post("/api/v3/checks/", data="{nope", content_type="application/json", headers=rw)
    listed = client.post("/api/v3/checks/", json=[1, 2], headers=rw)
    assert garbled.json == {"error": "could not parse request body"}
    assert listed.json == {"error": "json validation error: value is not an object"}


def test_healthchecks_update_changes_only_the_fields_given_and_a_schedule_makes_a_cron_check(client, rw):
    check = create(client, rw, name="Backups", tags="prod", timeout=3600, grace=60)
    updated = client.post(f"/api/v3/checks/{check['uuid']}", json={"schedule": "0 3 * * *", "tz": "Europe/Riga"},
                          headers=rw).json
    assert (updated["name"], updated["tags"], updated["schedule"], updated["tz"]) == ("Backups", "prod", "0 3 * * *",
                                                                                       "Europe/Riga")
    assert "timeout" not in updated
    back = client.post(f"/api/v3/checks/{check['uuid']}", json={"timeout": 300}, headers=rw).json
    assert back["timeout"] == 300 and "schedule" not in back


def test_healthchecks_pause_resume_and_a_second_resume_conflicts(client, rw):
    check = create(client, rw, name="Backups")
    client.get(f"/ping/{check['uuid']}")
    paused = client.post(f"/api/v3/checks/{check['uuid']}/pause", data="", headers=rw)
    assert paused.status_code == 200 and paused.json["status"] == "paused"
    resumed = client.post(f"/api/v3/checks/{check['uuid']}/resume", data="", headers=rw)
    assert resumed.status_code == 200 and resumed.json["status"] == "new" and resumed.json["last_ping"] is None
    again = client.post(f"/api/v3/checks/{check['uuid']}/resume", data="", headers=rw)
    assert (again.status_code, again.data) == (409, b"check is not paused")


def test_healthchecks_delete_answers_the_deleted_check_and_its_pings_then_answer_not_found(client, rw):
    check = create(client, rw, name="Backups")
    deleted = client.delete(f"/api/v3/checks/{check['uuid']}", headers=rw)
    assert deleted.status_code == 200 and deleted.json["uuid"] == check["uuid"]
    assert client.get(f"/ping/{check['uuid']}").data == b"not found"
    assert client.get(f"/api/v3/checks/{check['uuid']}", headers=rw).status_code == 404


def test_healthchecks_lists_pings_newest_first_with_durations_and_body_urls(client, rw, clock):
    check = create(client, rw, name="Backups")
    client.get(f"/ping/{check['uuid']}/start", headers={"User-Agent": "curl/7.68.0"})
    clock.advance(seconds=3)
    client.get(f"/ping/{check['uuid']}", headers={"User-Agent": "curl/7.68.0"})
    client.get(f"/ping/{check['uuid']}/start?rid={RID}")
    clock.advance(seconds=2.5)
    client.post(f"/ping/{check['uuid']}/1?rid={RID}", data="disk full")
    pings = client.get(f"/api/v3/checks/{check['uuid']}/pings/", headers=rw).json["pings"]
    assert [(p["type"], p["n"], p.get("duration")) for p in pings] == \
        [("fail", 4, 2.5), ("start", 3, None), ("success", 2, 3.0), ("start", 1, None)]
    assert pings[0]["rid"] == RID and pings[0]["method"] == "POST" and pings[3]["ua"] == "curl/7.68.0"
    assert pings[0]["date"].endswith("+00:00") and pings[0]["remote_addr"] == "127.0.0.1"
    assert pings[0]["body_url"] == f"https://status.example.com/api/v3/checks/{check['uuid']}/pings/4/body"
    assert pings[1]["body_url"] is None
    body = client.get(f"/api/v3/checks/{check['uuid']}/pings/4/body", headers=rw)
    assert (body.status_code, body.data, body.content_type) == (200, b"disk full", "text/plain")
    assert client.get(f"/api/v3/checks/{check['uuid']}/pings/3/body", headers=rw).status_code == 404


def test_healthchecks_lists_flips_by_uuid_and_unique_key_with_time_filters(client, rw, ro, clock):
    check = create(client, rw, name="Backups")
    client.get(f"/ping/{check['uuid']}")
    clock.advance(hours=1)
    client.get(f"/ping/{check['uuid']}/fail")
    flips = client.get(f"/api/v3/checks/{check['uuid']}/flips/", headers=rw).json["flips"]
    assert [f["up"] for f in flips] == [0, 1]
    assert flips[0]["timestamp"] == "2026-03-02T13:00:00+00:00"
    recent = client.get(f"/api/v3/checks/{check['uuid']}/flips/?seconds=60", headers=rw).json["flips"]
    assert [f["up"] for f in recent] == [0]
    unique = client.get("/api/v3/checks/", headers=ro).json["checks"][0]["unique_key"]
    assert client.get(f"/api/v3/checks/{unique}/flips/?end={int(clock.now().timestamp()) - 60}",
                      headers=ro).json["flips"] == [flips[1]]
    assert client.get(f"/api/v3/checks/{check['uuid']}/flips/?seconds=-1", headers=rw).status_code == 400


def test_healthchecks_check_status_follows_its_documented_states(client, rw, clock):
    check = create(client, rw, name="Backups", timeout=3600, grace=600)
    status = lambda: client.get(f"/api/v3/checks/{check['uuid']}", headers=rw).json  # noqa: E731
    assert status()["status"] == "new"
    client.get(f"/ping/{check['uuid']}/start")
    assert status()["status"] == "new" and status()["started"] is True
    client.get(f"/ping/{check['uuid']}")
    seen = status()
    assert seen["status"] == "up" and seen["next_ping"] == "2026-03-02T13:00:00+00:00" and seen["n_pings"] == 2
    clock.advance(minutes=61)
    assert status()["status"] == "grace"
    clock.advance(minutes=10)
    assert status()["status"] == "down"


def test_healthchecks_api_answers_cors_for_any_origin(client, rw):
    preflight = client.options("/api/v3/checks/", headers={"Origin": "https://dashboard.example",
                                                           "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Headers"] == "X-Api-Key"
    listed = client.get("/api/v3/checks/", headers={**rw, "Origin": "https://dashboard.example"})
    assert listed.headers["Access-Control-Allow-Origin"] == "*"


def test_checks_made_through_healthchecks_api_are_heartbeats_of_ours(client, as_, rw, r):
    check = create(client, rw, name="nightly", slug="nightly", timeout=86400)
    ours = client.get(f"/heartbeats/{check['uuid']}", headers=as_("bob")).json
    assert (ours["name"], ours["slug"], ours["timeout"]) == ("nightly", "nightly", 86400)
    client.patch(f"/heartbeats/{check['uuid']}", json={"tags": "from-our-api"}, headers=as_("alice"))
    assert client.get(f"/api/v3/checks/{check['uuid']}", headers=rw).json["tags"] == "from-our-api"
    assert storage.get(r, check["uuid"])["project"] == "default"
