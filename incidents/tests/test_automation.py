"""check.status_changed from csp-status drives components and automated incidents."""
from conftest import status_of
from incidents.automation import flows
from polystatus import events


def check_event(r, state, check_id="chk1", components=("api",)):
    pipe = r.pipeline(transaction=True)
    events.publish(pipe, "csp-status", "check.status_changed",
                   {"check_id": check_id, "name": "API health", "source": "check", "state": state,
                    "previous_state": "up", "component_ids": list(components), "reason": "HTTP 500",
                    "regions": {"local": state == "up"}, "at": "2026-01-05T12:00:00.000Z"})
    pipe.execute()
    entry_id, fields = r.xrevrange("events:csp-status", count=1)[0]
    return events.Event.from_entry(entry_id, fields)


def test_a_down_check_takes_its_component_down_and_up_again(client, components, clock, r):
    flows.handle_check_event(r, check_event(r, "down"), clock.now())
    assert status_of(client, "api") == "major_outage"
    flows.handle_check_event(r, check_event(r, "up"), clock.now())
    assert status_of(client, "api") == "operational"


def test_the_worst_linked_check_wins(client, components, clock, r):
    flows.handle_check_event(r, check_event(r, "down", "a"), clock.now())
    flows.handle_check_event(r, check_event(r, "degraded", "b"), clock.now())
    assert status_of(client, "api") == "major_outage"
    flows.handle_check_event(r, check_event(r, "up", "a"), clock.now())
    assert status_of(client, "api") == "degraded_performance"


def test_an_unknown_check_state_changes_nothing(client, components, clock, r):
    flows.handle_check_event(r, check_event(r, "down"), clock.now())
    flows.handle_check_event(r, check_event(r, "unknown"), clock.now())
    assert status_of(client, "api") == "major_outage"


def test_after_n_minutes_down_an_incident_opens_and_resolves_on_recovery(app, client, components, clock, r):
    app.config["AUTO_INCIDENT_AFTER_MINUTES"] = 5
    flows.handle_check_event(r, check_event(r, "down"), clock.now())
    clock.advance(minutes=4)
    assert flows.tick(r, app.config, clock.now())["opened"] == []
    clock.advance(minutes=2)
    opened = flows.tick(r, app.config, clock.now())["opened"]
    assert len(opened) == 1
    incident = client.get(f"/incidents/{opened[0]}").json
    assert incident["automated"] is True and incident["status"] == "investigating"
    assert flows.tick(r, app.config, clock.now())["opened"] == []  # exactly once
    flows.handle_check_event(r, check_event(r, "up"), clock.now())
    assert flows.tick(r, app.config, clock.now())["resolved"] == opened
    assert client.get(f"/incidents/{opened[0]}").json["status"] == "resolved"


def test_automation_leaves_alone_an_incident_staff_took_over(app, client, as_, components, clock, r):
    app.config["AUTO_INCIDENT_AFTER_MINUTES"] = 0
    flows.handle_check_event(r, check_event(r, "down"), clock.now())
    incident_id = flows.tick(r, app.config, clock.now())["opened"][0]
    assert client.post(f"/incidents/{incident_id}/takeover", headers=as_("carol")).status_code == 403
    assert client.post(f"/incidents/{incident_id}/takeover", headers=as_("bob")).json["taken_over"] is True
    flows.handle_check_event(r, check_event(r, "up"), clock.now())
    assert flows.tick(r, app.config, clock.now())["resolved"] == []
    assert client.get(f"/incidents/{incident_id}").json["status"] == "investigating"


def test_the_worker_consumes_check_events_from_the_csp_status_stream(app, components, clock, r, redis_server):
    import threading

    from incidents.worker import make_loops

    config = {**app.config, "CSP_STATUS_EVENTS_URL": app.config["REDIS_URL"]}
    check_event(r, "down")
    stop = threading.Event()
    thread = threading.Thread(target=make_loops(config, clock)["check-events"], args=(stop,))
    thread.start()
    try:
        for _ in range(100):
            if r.hget("holders:api", "check:chk1"):
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert r.hget("holders:api", "check:chk1") == "major_outage"
