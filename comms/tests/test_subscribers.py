"""Subscribing with only an email address (double opt-in), account emails, and acting on the
signed links of a mail through the public site."""
import re
from urllib.parse import urlsplit

import pytest
from comms.deliveries import flows
from test_deliveries import incident_event, person, plan_and_send

PUBLIC = "https://status.example.com"


def send_queued(app, r, clock):
    return flows.deliver_due(r, app.config, clock.now(), "test")


def link_in(message, marker: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return next(word for word in text.split() if marker in word)


def subscribe(client, email="fern@example.com", components=("api",), **extra):
    return client.post("/subscribers", json={"email": email, "components": list(components), **extra})


def confirm_token(app, r, clock, mailbox, to="fern@example.com") -> str:
    send_queued(app, r, clock)
    message = [m for m in mailbox.messages() if m["To"] == to][-1]
    return link_in(message, "/subscribe/confirm#token=").split("#token=", 1)[1]


def test_subscribing_mails_a_confirmation_link_in_the_chosen_language_and_sends_nothing_else_until_confirmed(
        app, client, r, clock, mailbox, users):
    assert subscribe(client, lang="fr").status_code == 202
    send_queued(app, r, clock)
    (message,) = mailbox.messages()
    assert message["Subject"] == "Confirmez votre abonnement aux mises à jour de statut"
    assert link_in(message, "#token=").startswith(f"{PUBLIC}/subscribe/confirm#token=")
    plan_and_send(app, r, incident_event(r), clock)
    assert len(mailbox.messages()) == 1


def test_a_confirmed_subscriber_gets_incident_mails_with_a_one_click_unsubscribe(app, client, r, clock, mailbox, users):
    subscribe(client)
    confirmed = client.post("/subscribers/confirm", json={"token": confirm_token(app, r, clock, mailbox)})
    assert confirmed.status_code == 200 and confirmed.json["components"] == ["api"]
    assert confirmed.json["status"] == "confirmed"
    plan_and_send(app, r, incident_event(r), clock)
    message = mailbox.messages()[-1]
    assert message["To"] == "fern@example.com" and message["Subject"] == "[Investigating] API down"
    one_click = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link_in(message, "/unsubscribe?").startswith(f"{PUBLIC}/unsubscribe?")
    # what a mail client does with RFC 8058: a form POST to the header's URL
    path = urlsplit(one_click)
    response = client.post(f"{path.path.removeprefix('/api/comms')}?{path.query}", data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response.json["kind"] == "email"
    plan_and_send(app, r, incident_event(r, event_type="incident.updated"), clock)
    assert [m["To"] for m in mailbox.messages()].count("fern@example.com") == 2  # confirmation + first incident


def test_a_whole_page_subscriber_hears_of_every_component(app, client, r, clock, mailbox, users):
    subscribe(client, components=())
    client.post("/subscribers/confirm", json={"token": confirm_token(app, r, clock, mailbox)})
    plan_and_send(app, r, incident_event(r, components=("billing",)), clock)
    assert mailbox.messages()[-1]["To"] == "fern@example.com"


def test_a_subscriber_of_another_component_hears_nothing(app, client, r, clock, mailbox, users):
    subscribe(client, components=("billing",))
    client.post("/subscribers/confirm", json={"token": confirm_token(app, r, clock, mailbox)})
    assert plan_and_send(app, r, incident_event(r, components=("api",)), clock)[1]["sent"] == 0


def test_someone_both_following_and_subscribed_by_email_gets_one_mail(app, client, r, clock, mailbox, users):
    users.followers["inc1"] = [person(1)]
    subscribe(client, email="user1@example.com")
    client.post("/subscribers/confirm", json={"token": confirm_token(app, r, clock, mailbox, to="user1@example.com")})
    assert plan_and_send(app, r, incident_event(r), clock)[1]["sent"] == 1


def test_a_confirmation_link_works_once(app, client, r, clock, mailbox):
    subscribe(client)
    token = confirm_token(app, r, clock, mailbox)
    assert client.post("/subscribers/confirm", json={"token": token}).status_code == 200
    again = client.post("/subscribers/confirm", json={"token": token})
    assert again.status_code == 400 and again.json["error"]["code"] == "link_invalid"


def test_an_expired_confirmation_link_is_refused(app, client, r, clock, mailbox):
    subscribe(client)
    token = confirm_token(app, r, clock, mailbox)
    clock.advance(hours=24)
    response = client.post("/subscribers/confirm", json={"token": token})
    assert response.status_code == 400 and response.json["error"]["code"] == "link_expired"


def test_a_made_up_confirmation_token_is_refused(client):
    response = client.post("/subscribers/confirm", json={"token": "y" * 43})
    assert response.status_code == 400 and response.json["error"]["code"] == "link_invalid"


def test_subscribing_again_answers_the_same_and_changes_nothing_until_the_new_link_is_followed(
        app, client, r, clock, mailbox):
    subscribe(client)
    client.post("/subscribers/confirm", json={"token": confirm_token(app, r, clock, mailbox)})
    first = subscribe(client, email="new@example.com")
    again = subscribe(client, components=("billing",))
    assert (first.status_code, first.json) == (again.status_code, again.json)
    token = confirm_token(app, r, clock, mailbox)
    assert client.get("/subscribers", headers={"Authorization": "Bearer x"}).status_code == 401
    assert client.post("/subscribers/confirm", json={"token": token}).json["components"] == ["billing"]


def test_subscriptions_are_rate_limited_per_client_address_and_per_recipient(app, client):
    app.config.update(SUBSCRIBE_LIMIT_PER_ADDRESS=3, SUBSCRIBE_LIMIT_PER_EMAIL=2)
    assert [subscribe(client, email=f"s{i}@example.com").status_code for i in range(4)] == [202, 202, 202, 429]
    elsewhere = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.post("/subscribers", json={"email": "t@example.com"}, environ_base=elsewhere).status_code == 202
    assert client.post("/subscribers", json={"email": "t@example.com"}, environ_base=elsewhere).status_code == 202
    refused = client.post("/subscribers", json={"email": "t@example.com"}, environ_base={"REMOTE_ADDR": "203.0.113.8"})
    assert refused.status_code == 429 and refused.headers["Retry-After"]


def test_admins_list_and_remove_email_subscribers(app, client, as_, r, clock, mailbox):
    subscribe(client)
    assert client.get("/subscribers", headers=as_("bob")).status_code == 403
    listing = client.get("/subscribers", headers=as_("alice")).json
    assert listing["total"] == 1 and listing["subscribers"][0]["status"] == "pending"
    subscriber_id = listing["subscribers"][0]["id"]
    assert client.delete(f"/subscribers/{subscriber_id}", headers=as_("bob")).status_code == 403
    assert client.delete(f"/subscribers/{subscriber_id}", headers=as_("alice")).status_code == 204
    assert client.get("/subscribers", headers=as_("alice")).json["total"] == 0


def test_account_emails_are_sent_from_a_template_and_their_text_is_dropped_once_sent(app, client, as_, r, clock,
                                                                                    mailbox):
    link = f"{PUBLIC}/reset#token=abc"
    body = {"template": "reset_password", "to": "gus@example.com", "lang": "en", "link": link}
    assert client.post("/messages", json=body, headers=as_("alice")).status_code == 403  # services only
    response = client.post("/messages", json=body, headers=as_("svc"))
    assert response.status_code == 202
    send_queued(app, r, clock)
    (message,) = mailbox.messages()
    assert message["Subject"] == "Choose a new PolyStatus password" and link in message.get_body(("plain",)).get_content()
    stored = r.get(f"delivery:{response.json['id']}")
    assert link not in stored and "abc" not in stored


@pytest.mark.parametrize("field,value", [("template", "free_text"), ("link", "javascript:alert(1)"), ("lang", "de")])
def test_an_account_email_outside_the_templates_is_refused(client, as_, field, value):
    body = {"template": "reset_password", "to": "gus@example.com", "lang": "en", "link": f"{PUBLIC}/reset", field: value}
    assert client.post("/messages", json=body, headers=as_("svc")).status_code == 422


def test_an_acknowledge_link_leads_to_the_public_page_and_only_its_post_acknowledges(app, client, r, clock):
    from comms.deliveries import storage

    pipe = r.pipeline(transaction=True)
    storage.save_alert(pipe, {"id": "al1", "key": "check:c1", "event_type": "check.status_changed", "data": {},
                              "created_at": "x", "repeats": 0, "next_repeat_ts": 0, "acked_at": None,
                              "acked_by": None, "resolved_at": None})
    pipe.execute()
    url = flows.ack_url(app.config, "al1")
    assert re.match(rf"^{PUBLIC}/ack\?alert=al1&s=[0-9a-f]{{32}}$", url)
    signature = url.rsplit("s=", 1)[1]
    old_link = client.get(f"/alerts/al1/ack?s={signature}")
    assert old_link.status_code == 303 and old_link.headers["Location"] == url
    assert storage.get_alert(r, "al1")["acked_at"] is None
    assert client.post("/alerts/al1/ack/link?s=" + "0" * 32).status_code == 403
    acked = client.post(f"/alerts/al1/ack/link?s={signature}")
    assert acked.status_code == 200 and acked.json["acked_by"] == "link"
