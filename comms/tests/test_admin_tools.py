"""What the admin pages need from comms: "send a test" on a channel, dead letters a page at a
time with retry and discard."""
import pytest
from comms.deliveries import flows
from polystatus.testing import WebhookReceiver
from test_deliveries import incident_event, plan_and_send


def add_channel(client, as_, url, **extra):
    response = client.post("/channels", headers=as_("alice"), json={"name": "Ops", "url": url,
                                                                    "events": ["incident.*"], **extra})
    assert response.status_code == 201, response.json
    return response.json


def test_send_a_test_reaches_the_channel_and_says_it_is_a_test(client, as_, receiver):
    channel = add_channel(client, as_, f"webhook://{receiver.host}/hook")
    response = client.post(f"/channels/{channel['id']}/test", headers=as_("alice"))
    assert response.status_code == 200 and response.json == {
        "ok": True, "mode": "sent", "error": None, "at": "2026-03-02T12:00:00.000Z"}
    [(path, body)] = receiver.bodies
    assert path == "/hook" and body["meta"]["test"] is True and "test from PolyStatus" in body["event"]["data"]["text"]


def test_a_failing_test_send_answers_the_channels_reason(client, as_):
    broken = WebhookReceiver(status=410)
    channel = add_channel(client, as_, f"webhook://{broken.host}/gone")
    response = client.post(f"/channels/{channel['id']}/test", headers=as_("alice"))
    broken.stop()
    assert response.status_code == 200
    assert response.json["ok"] is False and "HTTP 410" in response.json["error"]


def test_a_log_only_channel_logs_its_test_instead_of_sending(client, as_, receiver):
    channel = add_channel(client, as_, f"webhook://{receiver.host}/hook", log_only=True)
    assert client.post(f"/channels/{channel['id']}/test", headers=as_("alice")).json["mode"] == "logged"
    assert receiver.bodies == []


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 403)])
def test_only_admins_send_tests(client, as_, receiver, who, expected):
    channel = add_channel(client, as_, f"webhook://{receiver.host}/hook")
    assert client.post(f"/channels/{channel['id']}/test", headers=as_(who)).status_code == expected
    assert receiver.bodies == []


def test_a_test_on_a_missing_channel_is_a_404(client, as_):
    assert client.post("/channels/nope/test", headers=as_("alice")).status_code == 404


def test_a_wildcard_channel_does_not_hear_corrections(app, client, as_, r, clock, receiver):
    add_channel(client, as_, f"json://{receiver.host}/all")
    planned, _ = plan_and_send(app, r, incident_event(r, event_type="incident.edited"), clock)
    assert planned == []


def make_dead_letters(app, client, as_, r, clock, count):
    bad = WebhookReceiver(status=400)  # a 4xx is permanent: dead at the first attempt
    add_channel(client, as_, f"webhook://{bad.host}/x")
    for i in range(count):
        clock.advance(seconds=1)
        plan_and_send(app, r, incident_event(r, incident_id=f"inc{i}"), clock)
    return bad


def test_dead_letters_come_a_page_at_a_time_newest_first_named_by_channel(app, client, as_, r, clock):
    bad = make_dead_letters(app, client, as_, r, clock, 5)
    first = client.get("/dead-letters?per_page=2", headers=as_("alice")).json
    assert first["total"] == 5 and first["page"] == 1 and len(first["deliveries"]) == 2
    last = client.get("/dead-letters?per_page=2&page=3", headers=as_("alice")).json
    assert len(last["deliveries"]) == 1
    assert first["deliveries"][0]["created_at"] > last["deliveries"][0]["created_at"]
    assert {d["channel_name"] for d in first["deliveries"]} == {"Ops"}
    assert "HTTP 400" in first["deliveries"][0]["last_error"]
    assert client.get("/dead-letters?per_page=1000", headers=as_("alice")).status_code == 422
    bad.stop()


def test_a_discarded_dead_letter_leaves_the_list_and_stays_in_the_log(app, client, as_, r, clock):
    bad = make_dead_letters(app, client, as_, r, clock, 2)
    dead = client.get("/dead-letters", headers=as_("alice")).json["deliveries"]
    response = client.delete(f"/dead-letters/{dead[0]['id']}", headers=as_("alice"))
    assert response.status_code == 200 and response.json["status"] == "discarded"
    assert response.json["discarded_by"] == "alice@example.com"
    assert [d["id"] for d in client.get("/dead-letters", headers=as_("alice")).json["deliveries"]] == [dead[1]["id"]]
    logged = {d["id"]: d["status"] for d in client.get("/deliveries", headers=as_("alice")).json["deliveries"]}
    assert logged[dead[0]["id"]] == "discarded"
    assert client.delete(f"/dead-letters/{dead[0]['id']}", headers=as_("alice")).status_code == 409
    assert client.post(f"/dead-letters/{dead[0]['id']}/retry", headers=as_("alice")).status_code == 409
    assert flows.deliver_due(r, app.config, clock.now(), "t") == {"sent": 0, "logged": 0, "failed": 0, "dead": 0}
    bad.stop()


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 403)])
def test_only_admins_discard_dead_letters(client, as_, who, expected):
    assert client.delete("/dead-letters/nope", headers=as_(who)).status_code == expected
