"""Arbitrary text at every text field of csp-status, in providers' pages, and every format that
shows it: JSON, SVG badges, metrics, logs (issue 21)."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polystatus.fuzzing import (
    SPECIALS,
    LogCapture,
    Route,
    Snapshot,
    fuzz_text,
    nasty_text,
    strict_json,
    strict_xml,
    text_coverage,
)
from polystatus.text import problem

SVG = "{http://www.w3.org/2000/svg}"


def routes(served=None, agent_token=None, check_id=None, heartbeat_id=None, provider_id=None) -> dict:
    """A valid request for every write route of csp-status (checked complete below)."""
    url = served.url("/health") if served else "http://127.0.0.1:9/health"
    check = {"name": "Shop", "kind": "assertions", "url": url, "host": "127.0.0.1", "expect": "127.0.0.1",
             "headers": {"Accept": "application/json"}, "bearer_token": "s3cret", "body": "{}",
             "conditions": ["[STATUS] == 200"], "field": "computed_time", "component_ids": ["api"], "group": "paris",
             "run_in": ["local"]}
    heartbeat = {"name": "nightly backup", "schedule": "0 3 * * *", "tz": "Europe/Paris", "component_ids": ["api"],
                 "slug": "nightly-backup", "tags": "prod db", "desc": "Dumps the database."}
    gatus = ("endpoints:\n  - name: Shop\n    url: http://127.0.0.1:9/health\n    interval: 60s\n"
             "    conditions:\n      - \"[STATUS] == 200\"\n")
    return {
        ("POST", "/checks"): Route(body={**check, "name": "Cart"}),
        ("PATCH", "/checks/{check_id}"): Route(body=check,
                                               prepare=lambda client: {"check_id": check_id}),
        ("POST", "/agents"): Route(body={"region": "frankfurt-aws", "name": "Frankfurt box"}),
        ("POST", "/agent/results"): Route(
            body={"results": [{"id": "r-00000001", "check_id": check_id or "c", "ok": False, "reason": "HTTP 500",
                               "status": 500, "at": "2026-03-02T12:00:00+00:00"}], "version": "1.0"},
            headers={"Authorization": f"Bearer {agent_token}"}),
        ("POST", "/providers"): Route(body={"name": "GitLab", "url": url, "format": "statuspage"}),
        ("PATCH", "/providers/{provider_id}"): Route(body={"name": "GitHub 2", "url": url},
                                                     prepare=lambda client: {"provider_id": provider_id}),
        ("PUT", "/providers/{provider_id}/mappings"): Route(
            body={"provider": ["api"], "components": {"Git Operations": ["api"]}},
            prepare=lambda client: {"provider_id": provider_id}),
        ("POST", "/heartbeats"): Route(body={**heartbeat, "name": "hourly export", "slug": "hourly-export",
                                             "project": "default"}),
        ("PATCH", "/heartbeats/{heartbeat_id}"): Route(body=heartbeat,
                                                       prepare=lambda client: {"heartbeat_id": heartbeat_id}),
        ("POST", "/api/apps/"): Route(body={"app_id": 23, "message": "OK:200"}),
        ("POST", "/import/gatus"): Route(body={"config": gatus, "dry_run": True}),
        ("POST", "/heartbeats/projects"): Route(body={"id": "backups", "name": "Backups"}),
        ("POST", "/heartbeats/api-keys"): Route(body={"name": "scripts", "project": "default"}),
    }


def every_output_parses(client, headers) -> None:
    checks = strict_json(client.get("/checks").data)["checks"]
    for check in checks:
        badge = strict_xml(client.get(f"/checks/{check['id']}/badge.svg").data)
        assert badge.tag == f"{SVG}svg"
        strict_json(client.get(f"/checks/{check['id']}/health").data)
    for path in ("/heartbeats", "/heartbeats/public", "/providers", "/agents"):
        strict_json(client.get(path, headers=headers).data)


def test_every_write_route_has_a_line_in_the_table_and_every_text_field_a_text_type(client):
    assert text_coverage(client.get("/openapi.json").json, routes()) == []


def test_every_text_field_takes_any_text_or_names_it_and_every_output_still_parses(app, client, as_, served,
                                                                                    redis_url):
    headers = as_("alice")
    app.config["APPS_NEW_PER_HOUR"] = 10**6
    served.routes["/health"] = (200, {"Content-Type": "application/json"}, b'{"status": "ok"}')
    made = routes(served)  # what the PATCH routes change is made first, under other names
    check = client.post("/checks", headers=headers, json=made[("PATCH", "/checks/{check_id}")].body).json
    heartbeat = client.post("/heartbeats", headers=headers, json=made[("PATCH", "/heartbeats/{heartbeat_id}")].body).json
    provider = client.post("/providers", headers=headers,
                           json={**made[("PATCH", "/providers/{provider_id}")].body, "format": "statuspage"}).json
    agent = client.post("/agents", headers=headers, json={"region": "paris-ovh"}).json
    snapshot = Snapshot(redis_url)
    with LogCapture() as logs:
        assert fuzz_text(client, routes(served, agent["token"], check["id"], heartbeat["id"], provider["id"]),
                         headers=headers, reset=snapshot.restore, outputs=lambda: every_output_parses(client, headers),
                         examples=2) >= 40
        logs.check()


def statuspage(text: str) -> bytes:
    """A Statuspage v2 summary whose every piece of text is ``text``, as a provider might
    serve it (JSON may carry escaped controls and unpaired surrogates)."""
    return json.dumps({
        "page": {"id": "p", "name": text}, "status": {"indicator": "major", "description": text},
        "components": [{"id": "c1", "name": f"{text} API", "status": "major_outage"},
                       {"id": "g1", "name": text, "group": True},
                       {"id": "c2", "name": text, "status": "operational", "group_id": "g1"}],
        "incidents": [{"id": "i1", "name": text, "status": "investigating", "impact": "major", "shortlink": text,
                       "components": [{"name": text}], "created_at": "2026-03-02T11:00:00Z"}],
    }).encode()


@pytest.mark.parametrize("fmt", ["statuspage", "rss"])
def test_any_text_on_a_providers_page_is_cleaned_like_our_own(client, as_, served, fmt):
    headers = as_("alice")
    provider = client.post("/providers", headers=headers, json={"name": "P", "url": served.url("/p"), "format": fmt}).json

    def rss(text: str) -> bytes:
        from xml.sax.saxutils import escape

        # A feed can only carry what XML carries: the nasty part is what XML allows
        safe = "".join(c for c in text if problem(c, multiline=True) is None or c in "\x85\x9f")
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{escape(safe)}</title><item>'
                f'<title>{escape(safe)}</title><pubDate>Mon, 02 Mar 2026 11:00:00 +0000</pubDate>'
                f'<description>{escape(safe)}</description></item></channel></rss>').encode()

    @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(text=st.one_of(st.sampled_from(SPECIALS), nasty_text()))
    def run(text):
        body = statuspage(text) if fmt == "statuspage" else rss(text)
        served.routes["/p"] = (200, {"Content-Type": "application/json"}, body)
        assert client.post(f"/providers/{provider['id']}/poll", headers=headers).status_code == 200
        shown = strict_json(client.get(f"/providers/{provider['id']}").data)
        for item in shown["components"] + shown["incidents"]:
            assert problem(item["name"], name=True) is None, item["name"]
            assert len(item["name"]) <= 200
        assert problem(shown["description"], multiline=True) is None
        strict_json(client.get("/providers").data)

    run()


def test_a_check_named_before_these_rules_still_gets_a_badge_and_json_that_parse(client, as_, served, r):
    served.routes["/health"] = (200, {}, b"ok")
    check = client.post("/checks", headers=as_("alice"), json={"name": "Shop", "kind": "assertions",
                                                               "url": served.url("/health")}).json
    stored = json.loads(r.get(f"check:{check['id']}"))
    r.set(f"check:{check['id']}", json.dumps({**stored, "name": "Shop \x0c\ud800 <b>&amp;\u202e"}))
    badge = strict_xml(client.get(f"/checks/{check['id']}/badge.svg").data)
    label = badge.find(f"{SVG}g/{SVG}text").text
    assert label.startswith("Shop ") and "<b>&amp;" in label and "\x0c" not in label
    assert badge.get("aria-label").startswith("Shop ")
    # and as JSON (the public page is drawn from /checks): cleaned, never a surrogate
    for path in ("/checks", f"/checks/{check['id']}"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        strict_json(answer.data)
    assert strict_json(client.get(f"/checks/{check['id']}/health").data)["name"].startswith("Shop ")  # 500 until run
    [listed] = strict_json(client.get("/checks").data)["checks"]
    assert listed["name"] == "Shop \ufffd <b>&amp;\u202e"


def test_a_reason_quoting_a_checked_body_is_cleaned_before_an_agent_sends_it(client, as_, served, r):
    served.routes["/health"] = (200, {"Content-Type": "application/json"}, b'{"status": "bad\\u0000\\ud800"}')
    check = client.post("/checks", headers=as_("alice"), json={
        "name": "Shop", "kind": "assertions", "url": served.url("/health"),
        "conditions": ['[BODY].status == "ok"']}).json
    result = client.post(f"/checks/{check['id']}/run", headers=as_("bob")).json
    assert result["ok"] is False and problem(result["reason"], multiline=True) is None


def test_healthchecks_management_api_applies_the_same_text_rules_in_healthchecks_words(client, as_):
    key = client.post("/heartbeats/api-keys", json={"name": "scripts"}, headers=as_("alice")).json["key"]
    refused = client.post("/api/v3/checks/", json={"name": "backup\x0c", "timeout": 3600}, headers={"X-Api-Key": key})
    assert refused.status_code == 400 and refused.json["error"].startswith("json validation error: name: ")
    raw = '{"name": "x", "desc": "\\ud800", "timeout": 3600}'
    refused = client.post("/api/v3/checks/", data=raw, content_type="application/json", headers={"X-Api-Key": key})
    assert refused.status_code == 400 and "surrogate" in refused.json["error"]
    made = client.post("/api/v3/checks/", json={"name": "backup", "desc": "<b>Cafe\u0301</b>\n\tsecond line",
                                                "timeout": 3600}, headers={"X-Api-Key": key})
    assert made.status_code == 201 and made.json["desc"] == "<b>Cafe\u0301</b>\n\tsecond line"


# Healthchecks' Management API v3 answers in Healthchecks' shapes, so it is not in the OpenAPI
# document fuzz_text reads: its text fields get the same treatment here. A refusal is Healthchecks'
# 400 naming the field ("json validation error: <field>..."); a named integration is refused in
# Healthchecks' own words. Where the API renames a field (subject is stored as success_kw), the
# value comes back under both names.
HC_TEXT_FIELDS = ("name", "tags", "desc", "slug", "schedule", "tz", "methods", "start_kw", "success_kw",
                  "failure_kw", "subject", "subject_fail", "channels")
HC_SHOWN_AS = {"subject": "success_kw", "subject_fail": "failure_kw"}


@pytest.mark.parametrize("route", ["create", "update"])
def test_healthchecks_api_takes_any_text_in_every_text_field_or_names_it_and_reads_back_strict_json(client, as_, route):
    import unicodedata

    key = {"X-Api-Key": client.post("/heartbeats/api-keys", json={"name": "scripts"}, headers=as_("alice")).json["key"]}
    existing = client.post("/api/v3/checks/", json={"name": "nightly", "timeout": 3600}, headers=key).json
    url = "/api/v3/checks/" if route == "create" else f"/api/v3/checks/{existing['uuid']}"
    tried = {"stored": 0, "refused": 0}

    def attempt(field: str, value: str) -> None:
        # a time zone goes with a schedule (it is shown only then); anything else with a timeout
        body = {field: value, **({"schedule": "0 3 * * *"} if field == "tz" else {} if field == "schedule"
                                 else {"timeout": 3600})}
        answer = client.post(url, json=body, headers=key)
        where = f"{route} {field}={value[:80]!r}"
        multiline, name = field == "desc", field == "name"
        if problem(value, multiline=multiline, name=name) is not None:
            assert answer.status_code == 400, f"{where}: text the rules refuse answered {answer.status_code}"
        if answer.status_code == 400:
            message = strict_json(answer.data)["error"]
            named = message.startswith(f"json validation error: {field}") or (
                field == "channels" and message.startswith("invalid channel identifier"))
            assert named, f"{where}: 400 without naming {field}: {message!r}"
            tried["refused"] += 1
            return
        assert answer.status_code == (201 if route == "create" else 200), f"{where}: {answer.status_code} {answer.data[:300]}"
        check = strict_json(answer.data)
        again = strict_json(client.get(f"/api/v3/checks/{check['uuid']}", headers=key).data)
        assert again == check
        expected = unicodedata.normalize("NFC", value) if name else value or ("UTC" if field == "tz" else "")
        if field == "channels":
            assert again["channels"] == ""  # "" and "*" only: notifications are comms'
        elif field != "schedule" or value:
            assert again[HC_SHOWN_AS.get(field, field)] == expected, where
        strict_json(client.get("/api/v3/checks/", headers=key).data)
        strict_json(client.get("/heartbeats", headers=as_("alice")).data)
        tried["stored"] += 1
        if route == "create":
            assert client.delete(f"/api/v3/checks/{check['uuid']}", headers=key).status_code == 200

    for field in HC_TEXT_FIELDS:
        for value in (*SPECIALS, "", "Plain words", "America"):  # America: a folder of the tz database
            attempt(field, value)

        @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(value=nasty_text())
        def arbitrary(value):
            attempt(field, value)  # noqa: B023 (run at once, within this turn of the loop)

        arbitrary()
    assert tried["stored"] >= len(HC_TEXT_FIELDS) and tried["refused"] >= len(HC_TEXT_FIELDS)
