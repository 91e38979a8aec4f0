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
