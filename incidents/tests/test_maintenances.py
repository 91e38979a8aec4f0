from datetime import timedelta

from conftest import event_types, status_of
from incidents.maintenances import flows
from polystatus.clock import isoformat


def schedule(client, as_, clock, **overrides):
    body = {"name": "DB upgrade", "message": "Upgrading", "components": ["api"],
            "scheduled_for": isoformat(clock.now() + timedelta(hours=1)),
            "scheduled_until": isoformat(clock.now() + timedelta(hours=2)), **overrides}
    response = client.post("/maintenances", json=body, headers=as_("bob"))
    assert response.status_code == 201, response.json
    return response.json


def test_a_maintenance_starts_and_completes_on_time_by_itself(app, client, as_, components, clock, r):
    maintenance = schedule(client, as_, clock)
    assert maintenance["status"] == "scheduled"
    assert flows.tick(r, app.config, clock.now()) == 0
    clock.advance(hours=1)
    assert flows.tick(r, app.config, clock.now()) == 1
    assert status_of(client, "api") == "under_maintenance"
    assert client.get("/api/v2/scheduled-maintenances/active.json").json["scheduled_maintenances"][0]["id"] == maintenance["id"]
    clock.advance(hours=1)
    flows.tick(r, app.config, clock.now())
    assert status_of(client, "api") == "operational"
    assert client.get(f"/maintenances/{maintenance['id']}").json["status"] == "completed"
    assert {"maintenance.scheduled", "maintenance.started", "maintenance.completed"} <= set(event_types(r))


def test_a_window_missed_entirely_is_started_then_completed(app, client, as_, components, clock, r):
    maintenance = schedule(client, as_, clock)
    clock.advance(hours=5)
    flows.tick(r, app.config, clock.now())
    statuses = [u["status"] for u in client.get(f"/maintenances/{maintenance['id']}").json["incident_updates"]]
    assert statuses[:2] == ["completed", "in_progress"]
    assert status_of(client, "api") == "operational"


def test_a_maintenance_must_end_after_it_starts(client, as_, components, clock):
    response = client.post("/maintenances", headers=as_("bob"), json={
        "name": "x", "components": ["api"], "scheduled_for": isoformat(clock.now() + timedelta(hours=2)),
        "scheduled_until": isoformat(clock.now() + timedelta(hours=1))})
    assert response.status_code == 422


def test_an_incident_during_maintenance_wins_and_maintenance_returns_after(app, client, as_, components, clock, r):
    from conftest import open_incident

    schedule(client, as_, clock, scheduled_for=isoformat(clock.now()))
    flows.tick(r, app.config, clock.now())
    incident = open_incident(client, as_)
    assert status_of(client, "api") == "major_outage"
    client.post(f"/incidents/{incident['id']}/updates", json={"status": "resolved", "message": "ok"}, headers=as_("bob"))
    assert status_of(client, "api") == "under_maintenance"


def test_staff_move_a_scheduled_maintenance_and_change_its_components(client, as_, components, clock):
    maintenance = schedule(client, as_, clock)
    later = {"scheduled_for": isoformat(clock.now() + timedelta(hours=3)),
             "scheduled_until": isoformat(clock.now() + timedelta(hours=4))}
    response = client.patch(f"/maintenances/{maintenance['id']}", headers=as_("bob"),
                            json={**later, "name": "DB upgrade (moved)", "components": ["web"], "message": "Moved."})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["name"] == "DB upgrade (moved)" and body["scheduled_for"] == later["scheduled_for"]
    assert [c["id"] for c in body["components"]] == ["web"]
    assert body["incident_updates"][-1]["body"] == "Moved."


def test_moving_the_start_of_a_maintenance_into_the_past_starts_it(client, as_, components, clock):
    maintenance = schedule(client, as_, clock)
    response = client.patch(f"/maintenances/{maintenance['id']}", headers=as_("bob"),
                            json={"scheduled_for": isoformat(clock.now() - timedelta(minutes=1))})
    assert response.json["status"] == "in_progress"
    assert status_of(client, "api") == "under_maintenance"


def test_a_started_maintenance_keeps_its_start_and_releases_a_component_taken_off(client, as_, components, clock):
    maintenance = schedule(client, as_, clock, components=["api", "web"],
                           scheduled_for=isoformat(clock.now() - timedelta(minutes=1)))
    assert status_of(client, "web") == "under_maintenance"
    moved = client.patch(f"/maintenances/{maintenance['id']}", headers=as_("bob"),
                         json={"scheduled_for": isoformat(clock.now() + timedelta(hours=1))})
    assert moved.status_code == 409
    response = client.patch(f"/maintenances/{maintenance['id']}", headers=as_("bob"), json={"components": ["api"]})
    assert response.status_code == 200
    assert status_of(client, "web") == "operational" and status_of(client, "api") == "under_maintenance"


def test_a_maintenance_edit_with_a_backwards_window_changes_nothing(client, as_, components, clock):
    maintenance = schedule(client, as_, clock)
    response = client.patch(f"/maintenances/{maintenance['id']}", headers=as_("bob"),
                            json={"scheduled_until": isoformat(clock.now())})
    assert response.status_code == 422
    assert client.get(f"/maintenances/{maintenance['id']}").json["scheduled_until"] == maintenance["scheduled_until"]
