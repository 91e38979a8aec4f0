import pytest
from conftest import event_types, open_incident, status_of


def test_opening_an_incident_sets_its_components_and_derives_the_impact(client, as_, components, r):
    incident = open_incident(client, as_)
    assert incident["impact"] == "critical"
    assert incident["incident_updates"][0]["body"] == "Looking into it"
    assert incident["incident_updates"][0]["affected_components"] == [
        {"code": "api", "name": "API", "old_status": "operational", "new_status": "major_outage"}]
    assert status_of(client, "api") == "major_outage"
    assert event_types(r) == ["component.status_changed", "incident.created"]


def test_an_explicit_impact_overrides_the_derived_one(client, as_, components):
    assert open_incident(client, as_, impact="minor")["impact"] == "minor"


def test_ids_are_short_url_safe_and_sortable(client, as_, components, clock):
    first = open_incident(client, as_)["id"]
    clock.advance(seconds=1)
    second = open_incident(client, as_)["id"]
    assert len(first) == 12 and first.isalnum() and first < second


def test_resolving_restores_the_components(client, as_, components, r):
    incident = open_incident(client, as_)
    response = client.post(f"/incidents/{incident['id']}/updates",
                           json={"status": "resolved", "message": "Fixed"}, headers=as_("bob"))
    assert response.status_code == 201
    assert response.json["resolved_at"] is not None
    assert status_of(client, "api") == "operational"
    assert event_types(r)[-1] == "incident.resolved"


def test_resolving_one_of_two_overlapping_incidents_keeps_the_other_ones_status(client, as_, components):
    first = open_incident(client, as_, components={"api": "major_outage"})
    open_incident(client, as_, name="Slow API", components={"api": "degraded_performance"})
    client.post(f"/incidents/{first['id']}/updates", json={"status": "resolved", "message": "ok"}, headers=as_("bob"))
    assert status_of(client, "api") == "degraded_performance"


def test_an_update_can_change_component_statuses(client, as_, components):
    incident = open_incident(client, as_)
    client.post(f"/incidents/{incident['id']}/updates", headers=as_("bob"), json={
        "status": "monitoring", "message": "Recovering", "components": {"api": "degraded_performance"}})
    assert status_of(client, "api") == "degraded_performance"
    assert client.get(f"/incidents/{incident['id']}").json["monitoring_at"] is not None


@pytest.mark.parametrize("first,then", [("resolved", "investigating"), ("resolved", "monitoring")])
def test_a_resolved_incident_does_not_reopen(client, as_, components, first, then):
    incident = open_incident(client, as_)
    client.post(f"/incidents/{incident['id']}/updates", json={"status": first, "message": "x"}, headers=as_("bob"))
    response = client.post(f"/incidents/{incident['id']}/updates", json={"status": then, "message": "x"},
                           headers=as_("bob"))
    assert response.status_code == 409 and response.json["error"]["code"] == "invalid_transition"


def test_a_postmortem_comes_only_after_resolution(client, as_, components):
    incident = open_incident(client, as_)
    early = client.post(f"/incidents/{incident['id']}/updates", json={"status": "postmortem", "message": "pm"},
                        headers=as_("bob"))
    assert early.status_code == 409
    client.post(f"/incidents/{incident['id']}/updates", json={"status": "resolved", "message": "ok"}, headers=as_("bob"))
    late = client.post(f"/incidents/{incident['id']}/updates", json={"status": "postmortem", "message": "What happened"},
                       headers=as_("bob"))
    assert late.status_code == 201 and late.json["postmortem_body"] == "What happened"


def test_unknown_components_are_refused(client, as_, components):
    response = client.post("/incidents", headers=as_("bob"), json={
        "name": "x", "status": "investigating", "message": "x", "components": {"nope": "major_outage"}})
    assert response.status_code == 422


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("mallory", 401), ("bob", 201), ("alice", 201)])
def test_only_staff_open_incidents(client, as_, components, who, expected):
    response = client.post("/incidents", headers=as_(who), json={"name": "x", "status": "investigating", "message": "x"})
    assert response.status_code == expected


def test_history_pages_and_filters(client, as_, components, clock):
    for i in range(5):
        clock.advance(minutes=1)
        open_incident(client, as_, name=f"n{i}", components={"web" if i % 2 else "api": "partial_outage"})
    page = client.get("/incidents?per_page=2&page=2").json
    assert page["total"] == 5 and [i["name"] for i in page["incidents"]] == ["n2", "n1"]
    web = client.get("/incidents?component=web").json
    assert sorted(i["name"] for i in web["incidents"]) == ["n1", "n3"]
    assert client.get("/incidents?status=resolved").json["total"] == 0
    assert client.get("/incidents?per_page=100000").status_code == 422


def test_history_finds_incidents_by_words_of_their_name_or_updates(client, as_, components):
    open_incident(client, as_, name="Checkout errors")
    slow = open_incident(client, as_, name="Slow API")
    client.post(f"/incidents/{slow['id']}/updates", headers=as_("bob"),
                json={"status": "identified", "message": "A full disk on the database primary."})
    assert [i["name"] for i in client.get("/incidents?q=checkout").json["incidents"]] == ["Checkout errors"]
    assert [i["name"] for i in client.get("/incidents?q=DATABASE disk").json["incidents"]] == ["Slow API"]
    assert client.get("/incidents?q=database checkout").json["total"] == 0
    assert client.get("/incidents?q=" + "x" * 101).status_code == 422


def test_incident_names_are_stored_as_given_and_rendered_as_data(client, as_, components):
    name = '<img src=x onerror="alert(1)">'
    incident = open_incident(client, as_, name=name)
    assert client.get(f"/incidents/{incident['id']}").json["name"] == name
    rss = client.get("/history.rss").get_data(as_text=True)
    assert "<img" not in rss and "&lt;img" in rss
