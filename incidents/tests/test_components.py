import pytest
from conftest import event_types, open_incident, status_of


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 201), ("alice", 201)])
def test_only_staff_create_components(client, as_, who, expected):
    assert client.post("/components", json={"name": "Web"}, headers=as_(who)).status_code == expected


@pytest.mark.parametrize("method,path", [("patch", "/components/web"), ("delete", "/components/web"),
                                         ("post", "/component-groups"), ("post", "/maintenances")])
def test_component_writes_need_staff(client, as_, components, method, path):
    response = getattr(client, method)(path, json={"name": "x"}, headers=as_("carol"))
    assert response.status_code == 403


def test_components_are_read_by_anyone_with_their_group(client, as_):
    group = client.post("/component-groups", json={"name": "Platform"}, headers=as_("bob")).json
    client.post("/components", json={"name": "Web", "group_id": group["id"]}, headers=as_("bob"))
    listing = client.get("/components").json
    assert listing["groups"][0]["name"] == "Platform"
    assert listing["components"][0]["group_id"] == group["id"]


def test_an_unknown_group_is_refused(client, as_):
    assert client.post("/components", json={"name": "Web", "group_id": "nope"}, headers=as_("bob")).status_code == 422


def test_staff_status_is_overridden_by_a_worse_incident_and_comes_back(client, as_, components):
    client.patch("/components/api", json={"status": "degraded_performance"}, headers=as_("bob"))
    incident = open_incident(client, as_)
    assert status_of(client, "api") == "major_outage"
    client.post(f"/incidents/{incident['id']}/updates", json={"status": "resolved", "message": "ok"}, headers=as_("bob"))
    assert status_of(client, "api") == "degraded_performance"


def test_a_holder_change_that_loses_a_race_is_decided_again_on_the_holders_that_won(as_, client, components, r,
                                                                                clock):
    """Another writer (here a nested call, on its own connection) sets a holder between this
    change's read and its commit: the change is read and decided again, so the status follows
    both writes and each status change is said once."""
    from incidents.components import flows, storage

    runs = []

    def extra(pipe):
        runs.append(len(runs))
        if len(runs) == 1:
            flows.apply_holders(r, {"api": {"incident:other": "major_outage"}}, now=clock.now())

    changed = flows.apply_holders(r, {"api": {"check:c1": "partial_outage"}}, now=clock.now(), extra=extra)
    assert runs == [0, 1]  # the first attempt lost the race and was run again
    assert changed == []  # major_outage stands: partial_outage changes nothing
    assert status_of(client, "api") == "major_outage"
    assert event_types(r) == ["component.status_changed"]
    assert storage.holders(r, "api") == {"check:c1": "partial_outage", "incident:other": "major_outage"}


def test_uptime_is_computed_from_the_status_record(client, as_, components, clock):
    clock.advance(days=1)
    client.patch("/components/api", json={"status": "major_outage"}, headers=as_("bob"))
    clock.advance(hours=6)
    client.patch("/components/api", json={"status": "operational"}, headers=as_("bob"))
    clock.advance(days=1)
    days = client.get("/components/api/uptime?days=3").json["days"]
    assert [d["uptime_pct"] for d in days] == [100.0, 75.0, 100.0]
    assert days[1]["worst_status"] == "major_outage"


def test_uptime_does_not_depend_on_the_check_interval(client, as_, components, clock):
    """Flapping every minute for an hour, or down once for 30 minutes: the same down time."""
    clock.advance(days=1)
    for _ in range(30):
        client.patch("/components/web", json={"status": "major_outage"}, headers=as_("bob"))
        clock.advance(minutes=1)
        client.patch("/components/web", json={"status": "operational"}, headers=as_("bob"))
        clock.advance(minutes=1)
    client.patch("/components/api", json={"status": "major_outage"}, headers=as_("bob"))
    clock.advance(minutes=30)
    client.patch("/components/api", json={"status": "operational"}, headers=as_("bob"))
    clock.advance(days=1)
    web = client.get("/components/web/uptime?days=2").json["days"][0]["uptime_pct"]
    api = client.get("/components/api/uptime?days=2").json["days"][0]["uptime_pct"]
    assert web == api == pytest.approx(100 * (1 - 1800 / 86400), abs=0.01)


def test_a_component_held_by_an_open_incident_cannot_be_deleted(client, as_, components):
    open_incident(client, as_)
    assert client.delete("/components/api", headers=as_("bob")).status_code == 409
