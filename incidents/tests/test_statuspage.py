import feedparser
from conftest import open_incident


def test_summary_has_statuspage_names_nesting_and_enums(client, as_, components):
    open_incident(client, as_)
    summary = client.get("/api/v2/summary.json").json
    assert set(summary) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert set(summary["page"]) >= {"id", "name", "url", "time_zone", "updated_at"}
    assert summary["status"] == {"indicator": "critical", "description": "Major System Outage"}
    incident = summary["incidents"][0]
    assert {"id", "name", "status", "impact", "shortlink", "incident_updates", "components", "page_id"} <= set(incident)
    assert incident["shortlink"].startswith("https://status.example.com/incidents/")
    assert incident["incident_updates"][0]["affected_components"][0]["new_status"] == "major_outage"


def test_groups_appear_as_group_components(client, as_):
    group = client.post("/component-groups", json={"name": "Platform", "id": "platform"}, headers=as_("bob")).json
    client.post("/components", json={"name": "Web", "id": "web", "group_id": group["id"]}, headers=as_("bob"))
    docs = {c["id"]: c for c in client.get("/api/v2/components.json").json["components"]}
    assert docs["platform"]["group"] is True and docs["platform"]["components"] == ["web"]
    assert docs["web"]["group_id"] == "platform" and docs["web"]["group"] is False


def test_unresolved_and_recent_incidents(client, as_, components):
    first = open_incident(client, as_)
    open_incident(client, as_, name="Second")
    client.post(f"/incidents/{first['id']}/updates", json={"status": "resolved", "message": "ok"}, headers=as_("bob"))
    assert [i["name"] for i in client.get("/api/v2/incidents/unresolved.json").json["incidents"]] == ["Second"]
    assert len(client.get("/api/v2/incidents.json").json["incidents"]) == 2


def test_the_feeds_parse_with_feedparser(client, as_, components):
    open_incident(client, as_, name="Payments & <checkout> down")
    for path in ("/history.rss", "/history.atom"):
        feed = feedparser.parse(client.get(path).data)
        assert not feed.bozo, feed.bozo_exception
        assert feed.entries[0].title == "Payments & <checkout> down"
        assert feed.entries[0].link.startswith("https://status.example.com/incidents/")
