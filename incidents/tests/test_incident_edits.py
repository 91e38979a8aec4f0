import pytest
from conftest import event_types, open_incident, status_of


def edit(client, as_, incident_id, who="bob", **body):
    return client.patch(f"/incidents/{incident_id}", json=body, headers=as_(who))


def test_staff_fix_a_typo_in_the_title_and_the_edit_log_says_who_when_and_what(client, as_, components, clock, r):
    incident = open_incident(client, as_, name="API erors")
    clock.advance(minutes=3)
    response = edit(client, as_, incident["id"], name="API errors")
    assert response.status_code == 200 and response.json["name"] == "API errors"
    assert len(response.json["incident_updates"]) == 1  # a correction adds nothing to the timeline
    edits = client.get(f"/incidents/{incident['id']}/edits", headers=as_("bob")).json["edits"]
    assert edits == [{"at": "2026-03-02T12:03:00.000Z", "by": "bob@example.com", "field": "name",
                      "before": "API erors", "after": "API errors"}]
    assert event_types(r)[-1] == "incident.edited"


def test_sending_the_current_values_is_not_an_edit(client, as_, components, r):
    incident = open_incident(client, as_)
    before = event_types(r)
    assert edit(client, as_, incident["id"], name=incident["name"], components={"api": "major_outage"}).status_code == 200
    assert client.get(f"/incidents/{incident['id']}/edits", headers=as_("bob")).json["edits"] == []
    assert event_types(r) == before


def test_changing_the_components_of_an_open_incident_moves_their_status_and_releases_the_dropped_one(
        client, as_, components):
    incident = open_incident(client, as_, components={"api": "major_outage"})
    response = edit(client, as_, incident["id"], components={"web": "partial_outage"})
    assert [c["id"] for c in response.json["components"]] == ["web"]
    assert response.json["impact"] == "major"  # derived again from the new components
    assert status_of(client, "web") == "partial_outage"
    assert status_of(client, "api") == "operational"
    assert client.get("/incidents?component=api").json["total"] == 0


def test_an_impact_override_is_kept_until_it_is_dropped(client, as_, components):
    incident = open_incident(client, as_, components={"api": "degraded_performance"})
    assert edit(client, as_, incident["id"], impact="critical").json["impact"] == "critical"
    assert edit(client, as_, incident["id"], components={"api": "partial_outage"}).json["impact"] == "critical"
    assert edit(client, as_, incident["id"], impact=None).json["impact"] == "major"
    fields = [e["field"] for e in client.get(f"/incidents/{incident['id']}/edits", headers=as_("bob")).json["edits"]]
    assert fields == ["impact", "components", "impact"]


def test_staff_correct_the_text_of_an_earlier_update_and_the_old_text_is_kept(client, as_, components, clock):
    incident = open_incident(client, as_, message="We are lookign into it")
    first = incident["incident_updates"][0]["id"]
    client.post(f"/incidents/{incident['id']}/updates", json={"status": "identified", "message": "Found it"},
                headers=as_("bob"))
    clock.advance(minutes=1)
    response = client.patch(f"/incidents/{incident['id']}/updates/{first}", json={"body": "We are looking into it"},
                            headers=as_("alice"))
    assert response.status_code == 200
    bodies = [u["body"] for u in response.json["incident_updates"]]
    assert bodies == ["Found it", "We are looking into it"]
    assert response.json["status"] == "identified"
    [record] = client.get(f"/incidents/{incident['id']}/edits", headers=as_("bob")).json["edits"]
    assert record == {"at": "2026-03-02T12:01:00.000Z", "by": "alice@example.com", "field": "update_body",
                      "update_id": first, "before": "We are lookign into it", "after": "We are looking into it"}


def test_an_unknown_update_or_incident_is_a_404(client, as_, components):
    incident = open_incident(client, as_)
    assert client.patch(f"/incidents/{incident['id']}/updates/nope", json={"body": "x"}, headers=as_("bob")).status_code == 404
    assert edit(client, as_, "nope", name="x").status_code == 404


def test_edits_validate_their_input_and_change_nothing_when_refused(client, as_, components):
    incident = open_incident(client, as_)
    assert edit(client, as_, incident["id"], name="").status_code == 422
    assert edit(client, as_, incident["id"], impact="huge").status_code == 422
    assert edit(client, as_, incident["id"], components={"nope": "major_outage"}).status_code == 422
    assert client.get(f"/incidents/{incident['id']}").json["name"] == incident["name"]
    assert status_of(client, "api") == "major_outage"


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 200)])
def test_only_staff_edit_incidents_and_read_the_edit_log(client, as_, components, who, expected):
    incident = open_incident(client, as_)
    assert edit(client, as_, incident["id"], who=who, name="x").status_code == expected
    assert client.get(f"/incidents/{incident['id']}/edits", headers=as_(who)).status_code == expected


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 403), ("alice", 204)])
def test_only_admins_delete_an_incident(client, as_, components, who, expected):
    incident = open_incident(client, as_)
    assert client.delete(f"/incidents/{incident['id']}", headers=as_(who)).status_code == expected


def test_deleting_an_open_incident_releases_its_components_and_removes_it_everywhere(client, as_, components, r):
    incident = open_incident(client, as_)
    assert client.delete(f"/incidents/{incident['id']}", headers=as_("alice")).status_code == 204
    assert client.get(f"/incidents/{incident['id']}").status_code == 404
    assert status_of(client, "api") == "operational"
    assert client.get("/incidents?status=open").json["total"] == 0
    assert client.get("/api/v2/incidents/unresolved.json").json["incidents"] == []
    assert event_types(r)[-1] == "incident.deleted"


def resolve(client, as_, incident_id):
    response = client.post(f"/incidents/{incident_id}/updates", json={"status": "resolved", "message": "Fixed"},
                           headers=as_("bob"))
    assert response.status_code == 201


def test_a_postmortem_draft_stays_private_until_published(client, as_, components, clock, r):
    incident = open_incident(client, as_)
    draft = client.put(f"/incidents/{incident['id']}/postmortem", json={"body": "## What happened\n\nA bad deploy."},
                       headers=as_("bob"))
    assert draft.status_code == 200 and draft.json["body_draft"].startswith("## What happened")
    public = client.get(f"/incidents/{incident['id']}").json
    assert "postmortem_body" not in public and "postmortem_body_draft" not in public
    assert client.get(f"/incidents/{incident['id']}/postmortem").status_code == 401
    early = client.put(f"/incidents/{incident['id']}/postmortem/publish", headers=as_("bob"))
    assert early.status_code == 409  # not resolved yet
    resolve(client, as_, incident["id"])
    clock.advance(hours=2)
    published = client.put(f"/incidents/{incident['id']}/postmortem/publish", headers=as_("bob"))
    assert published.status_code == 200 and published.json["published_at"] == "2026-03-02T14:00:00.000Z"
    public = client.get(f"/incidents/{incident['id']}").json
    assert public["status"] == "postmortem" and public["postmortem_body"].startswith("## What happened")
    assert client.get("/api/v2/incidents.json").json["incidents"][0]["postmortem_body"].startswith("## What")
    assert event_types(r)[-1] == "incident.updated"


def test_an_empty_postmortem_is_not_published_and_a_published_one_can_be_taken_back(client, as_, components):
    incident = open_incident(client, as_)
    resolve(client, as_, incident["id"])
    assert client.put(f"/incidents/{incident['id']}/postmortem/publish", headers=as_("bob")).status_code == 409
    client.put(f"/incidents/{incident['id']}/postmortem", json={"body": "Root cause: DNS."}, headers=as_("bob"))
    client.put(f"/incidents/{incident['id']}/postmortem/publish", headers=as_("bob"))
    reverted = client.put(f"/incidents/{incident['id']}/postmortem/revert", headers=as_("bob"))
    assert reverted.status_code == 200 and reverted.json["status"] == "resolved"
    assert reverted.json["body_draft"] == "Root cause: DNS." and reverted.json["body"] is None
    assert "postmortem_body" not in client.get(f"/incidents/{incident['id']}").json
    assert client.put(f"/incidents/{incident['id']}/postmortem/revert", headers=as_("bob")).status_code == 409
