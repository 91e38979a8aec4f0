"""Arbitrary text at every text field of incidents, and every format that shows it (issue 21)."""
import json

from conftest import open_incident
from polystatus.fuzzing import (
    SPECIALS,
    LogCapture,
    Route,
    Snapshot,
    fuzz_text,
    strict_feed,
    strict_json,
    text_coverage,
)

# the documents that show every kind of text (the others are subsets built by the same code)
STATUSPAGE = ("/api/v2/summary.json", "/api/v2/incidents.json", "/api/v2/scheduled-maintenances.json")
MAINTENANCE = {"name": "DB upgrade", "message": "Upgrading", "components": ["api"],
               "scheduled_for": "2026-03-02T13:00:00Z", "scheduled_until": "2026-03-02T14:00:00Z"}


INCIDENT = {"name": "Slow", "status": "investigating", "message": "Looking"}
TEMPLATE = {"name": "Slow API", "title": "The API is slow", "body": "We are looking into it.",
            "components": {"api": "degraded_performance"}}


def first_update(client, headers) -> dict:
    incident = create(client, headers, "/incidents", INCIDENT)
    return {"incident_id": incident["id"], "update_id": incident["incident_updates"][0]["id"]}


def create(client, headers, path, body) -> dict:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def routes(headers) -> dict:
    """A valid request for every write route of incidents (checked complete below)."""
    return {
        ("POST", "/reports"): Route(body={"component_id": "api", "problem_type": "errors"}),
        ("POST", "/incidents"): Route(body={"name": "API errors", "status": "investigating", "message": "Looking",
                                            "components": {"api": "major_outage"}}),
        ("POST", "/components"): Route(body={"id": "db", "name": "Database", "description": "Postgres",
                                             "group_id": "core", "problem_types": ["errors"]}),
        ("POST", "/maintenances"): Route(body=MAINTENANCE),
        ("POST", "/component-groups"): Route(body={"id": "edge", "name": "Edge", "description": "CDN"}),
        ("PATCH", "/components/{component_id}"): Route(
            body={"name": "API", "description": "REST", "group_id": "core", "problem_types": ["errors"]},
            prepare=lambda client: {"component_id": "api"}),
        ("PATCH", "/component-groups/{group_id}"): Route(body={"name": "Core", "description": "The core"},
                                                         prepare=lambda client: {"group_id": "core"}),
        ("POST", "/incidents/{incident_id}/updates"): Route(
            body={"status": "identified", "message": "Found it", "components": {"api": "partial_outage"}},
            prepare=lambda client: {"incident_id": create(client, headers, "/incidents", INCIDENT)["id"]}),
        ("POST", "/maintenances/{maintenance_id}/updates"): Route(
            body={"status": "in_progress", "message": "Started"},
            prepare=lambda client: {"maintenance_id": create(client, headers, "/maintenances", MAINTENANCE)["id"]}),
        ("PATCH", "/maintenances/{maintenance_id}"): Route(
            body={**MAINTENANCE, "name": "DB upgrade, part 2"},
            prepare=lambda client: {"maintenance_id": create(client, headers, "/maintenances", MAINTENANCE)["id"]}),
        ("PATCH", "/incidents/{incident_id}"): Route(
            body={"name": "Slow API", "components": {"api": "degraded_performance"}},
            prepare=lambda client: {"incident_id": create(client, headers, "/incidents", INCIDENT)["id"]}),
        ("PATCH", "/incidents/{incident_id}/updates/{update_id}"): Route(
            body={"body": "Looking into it, corrected."}, prepare=lambda client: first_update(client, headers)),
        ("PUT", "/incidents/{incident_id}/postmortem"): Route(
            body={"body": "## What happened\n\nA *bad* deploy."},
            prepare=lambda client: {"incident_id": create(client, headers, "/incidents", INCIDENT)["id"]}),
        ("POST", "/incident-templates"): Route(body=TEMPLATE),
        ("PATCH", "/incident-templates/{template_id}"): Route(
            body=TEMPLATE, prepare=lambda client: {"template_id": create(client, headers, "/incident-templates",
                                                                          {**TEMPLATE, "name": "Other"})["id"]}),
    }


def every_output_parses(client) -> None:
    """Feeds with an XML parser and feedparser (no bozo), the Statuspage documents as strict
    JSON (fuzz_text parses the metrics with Prometheus' own parser)."""
    for path in ("/history.atom", "/history.rss"):
        strict_feed(client.get(path).data)
    for path in STATUSPAGE:
        strict_json(client.get(path).data)


def test_every_write_route_has_a_line_in_the_table_and_every_text_field_a_text_type(client, as_):
    assert text_coverage(client.get("/openapi.json").json, routes(as_("alice"))) == []


def test_every_text_field_takes_any_text_or_names_it_and_every_output_still_parses(app, client, as_, redis_url):
    headers = as_("alice")
    app.config["REPORTS_PER_ADDRESS_PER_MINUTE"] = 10**6
    create(client, headers, "/component-groups", {"id": "core", "name": "Core"})
    for cid, name in (("web", "Website"), ("api", "API")):
        create(client, headers, "/components", {"id": cid, "name": name, "group_id": "core"})
    snapshot = Snapshot(redis_url)
    with LogCapture() as logs:
        assert fuzz_text(client, routes(headers), headers=headers, reset=snapshot.restore,
                         outputs=lambda: every_output_parses(client), examples=2) >= 25
        client.get("/incidents/abc%0AINFO%20forged")  # the access log quotes the path
        assert logs.check() > 100


def test_a_title_is_stored_in_nfc_and_a_bidi_override_is_refused_naming_the_field(client, as_, components):
    assert open_incident(client, as_, name="Cafe\u0301 down")["name"] == "Caf\u00e9 down"
    response = client.post("/incidents", json={"name": "\u202eevil", "status": "investigating", "message": "m"},
                           headers=as_("bob"))
    assert response.status_code == 422
    assert "bidirectional" in response.json["error"]["details"]["json"]["name"][0]


def test_a_lone_surrogate_in_json_is_refused_not_stored(client, as_, components, r):
    raw = '{"name": "x\\ud800", "status": "investigating", "message": "m"}'
    response = client.post("/incidents", data=raw, content_type="application/json", headers=as_("bob"))
    assert response.status_code == 422
    assert "surrogate" in response.json["error"]["details"]["json"]["name"][0]
    assert r.zcard("incidents") == 0


def test_the_openapi_document_states_every_text_limit(client):
    incident = client.get("/openapi.json").json["components"]["schemas"]["IncidentIn"]["properties"]
    assert incident["name"]["maxLength"] == 200 and incident["message"]["maxLength"] == 10000


def test_text_stored_by_an_older_version_no_longer_breaks_any_feed_or_json_read(client, as_, components, r):
    """An incident, an update, a component and a maintenance written before these rules, with
    every character a feed cannot carry: the JSON an old version stored, ASCII-escaped."""
    nasty = "".join(SPECIALS[:17]) + " <b>&amp;</b> ]]>"
    incident = open_incident(client, as_)
    stored = json.loads(r.get(f"incident:{incident['id']}"))
    stored["name"] = f"Payments {nasty}"
    stored["incident_updates"][0]["body"] = f"Body {nasty}\n\nsecond paragraph"
    r.set(f"incident:{incident['id']}", json.dumps(stored))
    component = json.loads(r.get("component:api"))
    r.set("component:api", json.dumps({**component, "name": f"API {nasty}", "description": nasty}))
    maintenance = create(client, as_("bob"), "/maintenances", MAINTENANCE)
    stored = json.loads(r.get(f"maintenance:{maintenance['id']}"))
    r.set(f"maintenance:{maintenance['id']}", json.dumps({**stored, "name": nasty}))

    every_output_parses(client)
    feed = strict_feed(client.get("/history.atom").data)
    assert feed.entries[0].title.startswith("Payments ") and "<b>&amp;</b> ]]>" in feed.entries[0].title
    assert "\ufffd" in feed.entries[0].title  # a surrogate shows as a replacement character
    summary = strict_json(client.get("/api/v2/summary.json").data)
    assert summary["incidents"][0]["incident_updates"][0]["body"].endswith("\n\nsecond paragraph")
    assert not any("\x0c" in c["name"] for c in summary["components"])
    # and the JSON reads the frontend draws its pages from (every JSON answer goes through text.dumps)
    for path in ("/components", "/components/api", f"/incidents/{incident['id']}", "/incidents", "/maintenances"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        strict_json(answer.data)
    listed = client.get("/components").json["components"]
    [api] = [c for c in listed if c["id"] == "api"]
    assert api["name"].startswith("API ab") and "\ufffd" in api["name"] and "\x0c" not in api["name"]
    assert "\ufffd" in client.get(f"/incidents/{incident['id']}").json["name"]
