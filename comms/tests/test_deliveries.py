"""Fan-out through a real SMTP server and real HTTP receivers on loopback."""
import json
from datetime import timedelta

from comms.deliveries import flows
from polystatus import events
from polystatus.events import Event
from polystatus.testing import WebhookReceiver


def incident_event(r, *, event_type="incident.created", incident_id="inc1", components=("api",), name="API down",
                   status="investigating"):
    data = {"incident": {"id": incident_id, "name": name, "status": status, "impact": "critical",
                         "shortlink": f"https://status.example.com/incidents/{incident_id}",
                         "components": [{"id": c, "name": c.upper(), "status": "major_outage"} for c in components],
                         "incident_updates": [{"status": status, "body": "We are looking into it."}]},
            "update": {"status": status, "body": "We are looking into it."}, "automated": False}
    if event_type == "incident.edited":
        data["edits"] = [{"field": "name", "before": "API slow", "after": name}]
    pipe = r.pipeline(transaction=True)
    events.publish(pipe, "incidents", event_type, data)
    pipe.execute()
    entry_id, fields = r.xrevrange("events:incidents", count=1)[0]
    return Event.from_entry(entry_id, fields)


def plan_and_send(app, r, event, clock):
    pipe = r.pipeline(transaction=True)
    planned = flows.plan(r, app.config, event, pipe, app.extensions["people"], clock.now())
    pipe.execute()
    counts = flows.deliver_due(r, app.config, clock.now(), "test")
    return planned, counts


def person(i):
    return {"id": f"u{i}", "email": f"user{i}@example.com", "display_name": f"User {i}"}


def test_followers_and_subscribers_get_one_email_each_with_unsubscribe(app, r, users, mailbox, clock):
    users.followers["inc1"] = [person(1), person(2)]
    users.subscribers["api"] = [person(2), person(3)]
    planned, counts = plan_and_send(app, r, incident_event(r), clock)
    assert counts["sent"] == 3
    messages = mailbox.messages()
    assert sorted(m["To"] for m in messages) == ["user1@example.com", "user2@example.com", "user3@example.com"]
    message = messages[0]
    assert message["Subject"] == "[Investigating] API down"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "We are looking into it." in text and "<h2>API down</h2>" in html
    assert "https://status.example.com/unsubscribe?" in text
    assert message["List-Unsubscribe"].startswith("<https://status.example.com/api/comms/unsubscribe?")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_user_text_is_escaped_in_html_emails(app, r, users, mailbox, clock):
    users.followers["inc1"] = [person(1)]
    plan_and_send(app, r, incident_event(r, name="<img src=x onerror=alert(1)>"), clock)
    html = mailbox.messages()[0].get_body(("html",)).get_content()
    assert "<img" not in html and "&lt;img" in html


def test_planning_the_same_event_twice_sends_once(app, r, users, mailbox, clock):
    users.followers["inc1"] = [person(1)]
    event = incident_event(r)
    plan_and_send(app, r, event, clock)
    plan_and_send(app, r, event, clock)
    assert len(mailbox.messages()) == 1


def test_the_unsubscribe_link_removes_the_subscription_through_users(app, client, r, users, mailbox, clock):
    users.subscribers["api"] = [person(3)]
    plan_and_send(app, r, incident_event(r), clock)
    text = mailbox.messages()[0].get_body(("plain",)).get_content()
    link = next(line for line in text.splitlines() if "/unsubscribe?" in line).split("https://status.example.com", 1)[1]
    # the link opens a page of the public site; only its button (a POST) unsubscribes
    assert client.post(link).status_code == 200
    assert ("users", "u3", "subscriptions", "api") in users.removed
    assert client.post(link.replace("&s=", "&s=0")).status_code == 403


def test_an_unsubscribe_link_of_an_older_mail_leads_to_the_public_page_and_changes_nothing(client, users):
    query = flows._unsubscribe_query({"UNSUBSCRIBE_SECRET": "test-secret"}, "u3", "subscriptions", "api")
    response = client.get(f"/unsubscribe?{query}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"https://status.example.com/unsubscribe?{query}"
    assert users.removed == []
    assert client.get(f"/unsubscribe?{query.replace('&s=', '&s=0')}").status_code == 403


def test_channels_receive_statuspage_shaped_webhooks_and_apprise_json(app, client, as_, r, users, clock, receiver):
    client.post("/channels", headers=as_("alice"), json={"name": "Statuspage-style", "url": f"webhook://{receiver.host}/sp",
                                                          "events": ["incident.*"]})
    client.post("/channels", headers=as_("alice"), json={"name": "Generic JSON", "url": f"json://{receiver.host}/json",
                                                          "events": ["incident.*"]})
    client.post("/channels", headers=as_("alice"), json={"name": "Checks only", "url": f"json://{receiver.host}/checks",
                                                          "events": ["check.status_changed"]})
    planned, counts = plan_and_send(app, r, incident_event(r), clock)
    assert counts["sent"] == 2
    bodies = dict(receiver.bodies)
    assert bodies["/sp"]["incident"]["name"] == "API down" and {"meta", "page"} <= set(bodies["/sp"])
    assert "API down" in bodies["/json"]["title"]


def test_rocketchat_and_slack_shaped_receivers_get_the_incident(app, client, as_, r, clock, receiver):
    # Apprise speaks to a RocketChat incoming webhook (rocket://token@host/#channel?mode=webhook)
    # and to a Slack-compatible incoming webhook (Mattermost's mmost://host/token, which takes
    # Slack's {"text": ...} payload); both on loopback here, as they would be on a LAN.
    for name, url in (("RocketChat", f"rocket://AbCdEfGhIjKl/qRsTuVwXyZ012@{receiver.host}/#incidents?mode=webhook"),
                      ("Slack-compatible", f"mmost://{receiver.host}/slacktoken")):
        response = client.post("/channels", headers=as_("alice"), json={"name": name, "url": url, "events": ["incident.*"]})
        assert response.status_code == 201, response.json
    _, counts = plan_and_send(app, r, incident_event(r), clock)
    assert counts["sent"] == 2
    bodies = dict(receiver.bodies)
    rocket, slack = bodies["/hooks/AbCdEfGhIjKl/qRsTuVwXyZ012"], bodies["/hooks/slacktoken"]
    assert rocket["channel"] == "#incidents" and "API down" in rocket["text"] and "We are looking into it." in rocket["text"]
    assert "API down" in slack["text"] and "We are looking into it." in slack["text"]


def test_channels_route_by_component_and_severity(app, client, as_, r, clock, receiver):
    client.post("/channels", headers=as_("alice"), json={"name": "Web team", "url": f"json://{receiver.host}/web",
                                                          "events": ["incident.*"], "components": ["web"]})
    client.post("/channels", headers=as_("alice"), json={"name": "Only minor", "url": f"json://{receiver.host}/minor",
                                                          "events": ["incident.*"], "severities": ["minor"]})
    planned, _ = plan_and_send(app, r, incident_event(r, components=("api",)), clock)
    assert planned == [] and receiver.bodies == []


def test_log_only_renders_and_records_but_sends_nothing(app, r, users, mailbox, clock):
    app.config["ONLY_LOG"] = True
    users.followers["inc1"] = [person(1)]
    planned, counts = plan_and_send(app, r, incident_event(r), clock)
    assert counts["logged"] == 1 and mailbox.messages() == []
    assert r.get(f"delivery:{planned[0]['id']}") and json.loads(r.get(f"delivery:{planned[0]['id']}"))["status"] == "logged"


def test_failures_retry_with_backoff_then_become_dead_letters_an_admin_can_retry(app, client, as_, r, clock):
    bad = WebhookReceiver(status=503)
    client.post("/channels", headers=as_("alice"), json={"name": "Flaky", "url": f"webhook://{bad.host}/x",
                                                          "events": ["incident.*"]})
    app.config["MAX_ATTEMPTS"] = 3
    planned, counts = plan_and_send(app, r, incident_event(r), clock)
    assert counts["failed"] == 1
    assert flows.deliver_due(r, app.config, clock.now(), "t")["failed"] == 0  # not due yet: backoff
    clock.advance(minutes=1)
    assert flows.deliver_due(r, app.config, clock.now(), "t")["failed"] == 1
    clock.advance(minutes=5)
    assert flows.deliver_due(r, app.config, clock.now(), "t")["dead"] == 1
    dead = client.get("/dead-letters", headers=as_("alice")).json["deliveries"]
    assert [d["id"] for d in dead] == [planned[0]["id"]] and dead[0]["attempts"] == 3
    assert client.get("/dead-letters", headers=as_("bob")).status_code == 403
    bad.status = 200
    assert client.post(f"/dead-letters/{dead[0]['id']}/retry", headers=as_("alice")).status_code == 200
    assert flows.deliver_due(r, app.config, clock.now(), "t")["sent"] == 1
    assert len(bad.bodies) == 4
    bad.stop()


def test_alerts_repeat_until_acknowledged(app, client, as_, r, clock, receiver):
    client.post("/channels", headers=as_("alice"), json={"name": "On call", "url": f"json://{receiver.host}/oncall",
                                                          "events": ["check.status_changed"], "repeat_minutes": 10})
    pipe = r.pipeline(transaction=True)
    events.publish(pipe, "csp-status", "check.status_changed", {
        "check_id": "c1", "name": "API", "source": "check", "state": "down", "previous_state": "up",
        "component_ids": [], "reason": "500", "regions": {"local": False}, "at": "2026-01-05T12:00:00.000Z"})
    pipe.execute()
    event = Event.from_entry(*r.xrevrange("events:csp-status", count=1)[0])
    plan_and_send(app, r, event, clock)
    assert len(receiver.bodies) == 1 and "https://status.example.com/ack?alert=" in receiver.bodies[0][1]["message"]
    clock.advance(minutes=15)
    flows.repeat_alerts(r, app.config, clock.now())
    flows.deliver_due(r, app.config, clock.now(), "t")
    assert len(receiver.bodies) == 2 and "Reminder 1" in receiver.bodies[1][1]["title"]
    alert_id = client.get("/alerts", headers=as_("bob")).json["alerts"][0]["id"]
    assert client.post(f"/alerts/{alert_id}/ack", headers=as_("bob")).json["acked_by"] == "bob@example.com"
    clock.advance(minutes=30)
    flows.repeat_alerts(r, app.config, clock.now())
    flows.deliver_due(r, app.config, clock.now(), "t")
    assert len(receiver.bodies) == 2


def test_an_alert_stops_on_recovery(app, r, clock):
    for state in ("down", "up"):
        pipe = r.pipeline(transaction=True)
        events.publish(pipe, "csp-status", "check.status_changed", {
            "check_id": "c1", "name": "API", "source": "check", "state": state, "previous_state": "unknown",
            "component_ids": [], "reason": "", "regions": {}, "at": "2026-01-05T12:00:00.000Z"})
        pipe.execute()
        plan_and_send(app, r, Event.from_entry(*r.xrevrange("events:csp-status", count=1)[0]), clock)
    assert r.scard("alerts:open") == 0


def test_the_run_report_in_bresse_format_reaches_the_monitoring_mailbox(client, as_, mailbox):
    response = client.post("/reports/runs", headers=as_("svc"), json={
        "group": "bresse1", "to": "bresse1+monitor@example.com",
        "results": [{"name": "WEB", "ok": True}, {"name": "SQL", "ok": False}]})
    assert response.status_code == 200 and response.json["sent"] is True
    message = mailbox.messages()[0]
    lines = message.get_body(("plain",)).get_content().split()
    assert lines == ["DRYRUN.OK", "WEB.OK", "SQL.NOK"] and message["To"] == "bresse1+monitor@example.com"
    assert client.post("/reports/runs", headers=as_("carol"), json={"results": []}).status_code == 403


def test_the_dev_mailbox_lists_caught_messages_for_admins(app, client, as_, r, users, clock):
    users.followers["inc1"] = [person(1)]
    plan_and_send(app, r, incident_event(r), clock)
    listing = client.get("/mail", headers=as_("alice")).json["messages"]
    assert listing[0]["to"] == "user1@example.com"
    assert client.get(f"/mail/{listing[0]['id']}", headers=as_("alice")).json["subject"].startswith("[Investigating]")


def test_an_unreachable_smtp_server_keeps_the_deliveries_for_later(app, r, users, clock):
    from polystatus.testing import free_port

    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    users.followers["inc1"] = [person(1)]
    planned, counts = plan_and_send(app, r, incident_event(r), clock)
    assert counts["failed"] == 1
    assert json.loads(r.get(f"delivery:{planned[0]['id']}"))["status"] == "failed"
    assert r.zscore("delivery-queue", planned[0]["id"]) > clock.now().timestamp()


def test_announcements_go_to_subscribers_of_chosen_components(client, as_, app, r, users, mailbox, clock):
    users.subscribers["web"] = [person(5)]
    response = client.post("/announcements", headers=as_("bob"), json={"subject": "New region", "message": "Hello",
                                                                        "components": ["web"]})
    assert response.status_code == 201 and response.json["planned"] == 1
    flows.deliver_due(r, app.config, clock.now(), "t")
    assert mailbox.messages()[0]["To"] == "user5@example.com"


def test_the_event_timestamps_do_not_matter_for_dedup(app, r, users, mailbox, clock):
    users.followers["inc1"] = [person(1)]
    event = incident_event(r)
    plan_and_send(app, r, event, clock)
    clock.advance(hours=1)
    plan_and_send(app, r, event, clock)
    assert len(mailbox.messages()) == 1


__all__ = ["timedelta"]


def test_an_expiry_warning_reaches_the_channels_that_route_it_once_without_an_alert(app, client, as_, r, clock, receiver):
    for name, wanted in (("Certificates", ["check.expiry_warning"]), ("All checks", ["check.*"]),
                         ("Outages only", ["check.status_changed"])):
        response = client.post("/channels", headers=as_("alice"), json={
            "name": name, "url": f"json://{receiver.host}/{name.split()[0].lower()}", "events": wanted})
        assert response.status_code == 201, response.json
    pipe = r.pipeline(transaction=True)
    # the payload csp-status publishes (csp_status.checks.service.expiry_warning)
    events.publish(pipe, "csp-status", "check.expiry_warning", {
        "check_id": "c1", "name": "Shop", "component_ids": ["web"], "what": "certificate", "subject": "shop.example.com",
        "expires_at": "2026-03-09T12:00:00+00:00", "days_left": 6, "threshold": 7, "at": "2026-03-02T12:00:00+00:00"})
    pipe.execute()
    event = Event.from_entry(*r.xrevrange("events:csp-status", count=1)[0])
    _, counts = plan_and_send(app, r, event, clock)
    assert counts["sent"] == 2
    bodies = dict(receiver.bodies)
    assert set(bodies) == {"/certificates", "/all"}
    assert bodies["/all"]["title"] == "[Expiring] Shop: TLS certificate expires in 6 days"
    assert "shop.example.com" in bodies["/all"]["message"] and "2026-03-09" in bodies["/all"]["message"]
    assert client.get("/alerts", headers=as_("bob")).json["alerts"] == []  # a warning, not an outage: no reminders


def test_each_follower_and_subscriber_reads_the_incident_mail_in_their_own_language(app, r, users, mailbox, clock):
    users.followers["inc1"] = [{**person(1), "lang": "fr"}, person(2)]
    users.subscribers["api"] = [{**person(3), "lang": "en"}]
    plan_and_send(app, r, incident_event(r, status="identified"), clock)
    mails = {m["To"]: m for m in mailbox.messages()}
    french = mails["user1@example.com"]
    assert french["Subject"] == "[Identifié] API down"
    text, html = french.get_body(("plain",)).get_content(), french.get_body(("html",)).get_content()
    assert "Identifié: We are looking into it." in text and "Composants concernés: API" in text
    assert "Se désabonner: https://status.example.com/unsubscribe?" in text
    assert "Suivre cet incident" in html and "Se désabonner" in html
    for english in ("user2@example.com", "user3@example.com"):  # no language said: English
        assert mails[english]["Subject"] == "[Identified] API down"
        assert "Affected: API" in mails[english].get_body(("plain",)).get_content()
