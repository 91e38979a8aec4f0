"""Arbitrary text at every text field of comms, and in every event comms turns into emails and
chat messages: each still parses with a strict reader and reaches exactly its recipients
(issue 21)."""
import json

import pytest
from aiosmtpd.controller import Controller
from comms.deliveries import flows, senders, service
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polystatus.events import Event
from polystatus.fuzzing import (
    SPECIALS,
    LogCapture,
    Route,
    Snapshot,
    fuzz_text,
    nasty_text,
    strict_email,
    strict_json,
    text_coverage,
)
from polystatus.testing import free_port
from polystatus.text import clean, clean_tree, one_line

SECRET = "test-secret"  # conftest's UNSUBSCRIBE_SECRET: the links' signatures
PEOPLE = [{"id": "u1", "email": "carol@example.com", "display_name": "Carol"},
          {"id": "u2", "email": "dan@example.com", "display_name": "Dan"}]


class Recorder:
    """A real SMTP server (aiosmtpd) keeping each message with its envelope recipients."""

    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []
        recorder = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook)
                recorder.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
                return "250 Message accepted"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()


@pytest.fixture()
def recorder():
    server = Recorder()
    yield server
    server.controller.stop()


@pytest.fixture()
def wired(app, client, as_, users, recorder, receiver):
    """Subscribers of api, and one channel of each kind we can reach on loopback: a Statuspage
    webhook, Apprise's JSON, RocketChat and a Slack-compatible (Mattermost) incoming webhook."""
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{recorder.port}"
    users.subscribers["api"] = PEOPLE
    for name, url in (("webhook", f"webhook://{receiver.host}/sp"), ("json", f"json://{receiver.host}/json"),
                      ("rocket", f"rocket://AbCdEfGhIjKl/qRsTuVwXyZ012@{receiver.host}/#ops?mode=webhook"),
                      ("slack", f"mmost://{receiver.host}/slacktoken")):
        response = client.post("/channels", headers=as_("alice"), json={
            "name": name, "url": url, "events": ["announcement", "incident.*", "check.status_changed"]})
        assert response.status_code == 201, response.json
    return recorder, receiver


def every_message_is_strict_and_well_addressed(recorder, receiver) -> None:
    for rcpt_tos, raw in recorder.messages:
        assert len(rcpt_tos) == 1, rcpt_tos
        strict_email(raw, rcpt_tos)
    for _, raw in receiver.raw:
        strict_json(raw)
    recorder.messages.clear()
    receiver.clear()


def routes(banner_id=None, channel_id=None, service_headers=None) -> dict:
    """A valid request for every write route of comms (checked complete below)."""
    return {
        ("POST", "/banners"): Route(body={"message": "Payments are slow", "severity": "warning",
                                          "link": "https://status.example.com/incidents/1",
                                          "starts_at": "2026-03-02T11:00:00Z", "ends_at": "2026-03-02T18:00:00Z"}),
        ("PATCH", "/banners/{banner_id}"): Route(body={"message": "Still slow", "link": "https://example.com/a"},
                                                 prepare=lambda client: {"banner_id": banner_id}),
        ("POST", "/channels"): Route(body={"name": "ops", "url": "json://127.0.0.1:9/x", "events": ["incident.*"],
                                           "components": ["api"]}),
        ("PATCH", "/channels/{channel_id}"): Route(body={"name": "ops 2", "url": "json://127.0.0.1:9/y",
                                                         "events": ["announcement"], "components": ["web"]},
                                                   prepare=lambda client: {"channel_id": channel_id}),
        ("POST", "/announcements"): Route(body={"subject": "Tonight", "message": "Maintenance at 22:00.",
                                                "components": ["api"]}),
        ("POST", "/reports/runs"): Route(body={"group": "paris", "to": "monitoring@example.com",
                                               "results": [{"name": "Shop", "ok": True}]}),
        # users asks comms for its account mails with a service token
        ("POST", "/messages"): Route(body={"template": "confirm_signup", "to": "erin@example.com", "lang": "fr",
                                           "link": "https://status.example.com/signup/confirm#token=abc"},
                                     headers=service_headers),
        ("POST", "/subscribers"): Route(body={"email": "erin@example.com", "components": ["api"], "lang": "en"}),
        # the signed links: valid signatures, so a fuzzed part is refused for its signature (403)
        ("POST", "/subscribers/confirm"): Route(body={"token": "t" * 32}, also=(400,)),
        ("POST", "/unsubscribe"): Route(query={"u": "u1", "k": "follows", "t": "inc1",
                                              "s": service.sign(SECRET, "u1", "follows", "inc1")}, also=(403,)),
        ("POST", "/alerts/{alert_id}/ack/link"): Route(query={"s": service.sign(SECRET, "ack", "a1")},
                                                       prepare=lambda client: {"alert_id": "a1"}, also=(403, 404)),
    }


def test_every_write_route_has_a_line_in_the_table_and_every_text_field_a_text_type(client):
    assert text_coverage(client.get("/openapi.json").json, routes()) == []


def test_every_text_field_takes_any_text_or_names_it_and_every_output_still_parses(app, client, r, as_, wired,
                                                                                    redis_url, clock):
    recorder, receiver = wired
    headers = as_("alice")
    app.config.update(SUBSCRIBE_LIMIT_PER_ADDRESS=10**6, SUBSCRIBE_LIMIT_PER_EMAIL=10**6)
    banner = client.post("/banners", headers=headers, json={"message": "Slow"}).json
    channel = client.post("/channels", headers=headers, json={"name": "spare", "url": "json://127.0.0.1:9/z",
                                                              "events": ["alert"]}).json
    snapshot = Snapshot(redis_url)

    def outputs():
        flows.deliver_due(r, app.config, clock.now(), "test")
        every_message_is_strict_and_well_addressed(recorder, receiver)
        for path in ("/banners/active", "/banners", "/channels", "/deliveries", "/alerts"):
            strict_json(client.get(path, headers=headers).data)

    def reset():
        snapshot.restore()
        recorder.messages.clear()
        receiver.clear()

    with LogCapture() as logs:
        assert fuzz_text(client, routes(banner["id"], channel["id"], as_("svc")), headers=headers, reset=reset,
                         outputs=outputs, examples=2) >= 15
        logs.check()


EVENTS = {
    "incident.created": lambda t: {"incident": {"id": "inc1", "name": t, "status": "investigating", "impact": "major",
                                                "shortlink": "https://status.example.com/incidents/inc1",
                                                "components": [{"id": "api", "name": t, "status": "major_outage"}],
                                                "incident_updates": [{"status": "investigating", "body": t}]},
                                   "update": {"status": "investigating", "body": t}},
    "check.status_changed": lambda t: {"check_id": "c1", "name": t, "state": "down", "previous_state": "up",
                                       "reason": t, "component_ids": ["api"]},
    "announcement": lambda t: {"subject": t, "message": t, "component_ids": ["api"],
                               "incident": {"name": t, "components": [{"id": "api", "name": "api"}]}},
}


@pytest.mark.parametrize("event_type", sorted(EVENTS))
def test_any_text_in_an_event_makes_strict_emails_to_exactly_the_recipient_and_strict_chat_json(event_type):
    """Events come from other services (and from older versions): whatever their text, the
    email we write parses in strict mode and goes to its one recipient only."""

    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(text=st.one_of(st.sampled_from(SPECIALS), nasty_text()))
    def run(text):
        msg = service.with_footer(service.message(event_type, EVENTS[event_type](text), "https://status.example.com"),
                                  "https://comms.example.com/unsubscribe?u=u1&k=follows&t=inc1&s=" + "0" * 32)
        raw = senders.render("PolyStatus <status@example.com>", "carol@example.com", msg["subject"], msg["text"],
                             msg["html"], {"List-Unsubscribe": "<https://comms.example.com/unsubscribe>"}, "d1")
        message = strict_email(raw, ["carol@example.com"])
        assert "\n" not in str(message["Subject"])
        payload = service.statuspage_webhook(event_type, EVENTS[event_type](text), {"id": "p"}, "")
        # what send_channel posts: its own cleaning, then httpx's JSON encoder
        title, body, payload = one_line(msg["title"]), clean(msg["text"]), clean_tree(payload)
        strict_json(json.dumps({"title": title, "body": body, "payload": payload}, ensure_ascii=False).encode())

    run()


def test_deliveries_stored_by_an_older_version_still_make_strict_messages(app, r, wired, clock):
    """A delivery planned before these rules, with every character a message cannot carry in
    its subject and bodies, written as the old version wrote it."""
    recorder, receiver = wired
    nasty = "".join(SPECIALS[:17])
    event = Event(id="old-1", type="announcement", source="comms", time="2026-03-02T12:00:00Z",
                  data={"subject": f"Old {nasty}", "message": nasty, "component_ids": ["api"]})
    pipe = r.pipeline(transaction=True)
    planned = flows.plan(r, app.config, event, pipe, app.extensions["people"], clock.now())
    pipe.execute()
    for delivery in planned:
        stored = json.loads(r.get(f"delivery:{delivery['id']}"))
        assert stored["subject"].startswith("Old ")
    counts = flows.deliver_due(r, app.config, clock.now(), "test")
    assert counts["sent"] == len(planned) == 6
    assert sorted(rcpt[0] for rcpt, _ in recorder.messages) == ["carol@example.com", "dan@example.com"]
    paths = sorted(path for path, _ in receiver.raw)
    every_message_is_strict_and_well_addressed(recorder, receiver)
    assert paths == ["/hooks/AbCdEfGhIjKl/qRsTuVwXyZ012", "/hooks/slacktoken", "/json", "/sp"]


def test_a_subject_with_a_line_break_is_refused_naming_the_field(client, as_):
    response = client.post("/announcements", headers=as_("bob"),
                           json={"subject": "Tonight\r\nBcc: eve@example.com", "message": "m"})
    assert response.status_code == 422
    assert "line break" in response.json["error"]["details"]["json"]["subject"][0]



def test_a_banner_stored_by_an_older_version_is_read_back_as_strict_json(client, as_, r):
    """The public page is drawn from /banners/active: a banner written before these rules (the
    JSON an old version stored, ASCII-escaped) comes back cleaned, never as a surrogate."""
    banner = client.post("/banners", headers=as_("bob"), json={"message": "Planned work", "severity": "info"})
    assert banner.status_code == 201, banner.json
    stored = json.loads(r.get(f"banner:{banner.json['id']}"))
    r.set(f"banner:{banner.json['id']}", json.dumps({**stored, "message": "Planned\ud800 work\x0c\x1b[2J\x85 tonight"}))
    for path in ("/banners/active", "/banners"):
        answer = client.get(path, headers=as_("bob"))
        assert answer.status_code == 200, path
        [shown] = strict_json(answer.data)["banners"]
        assert shown["message"] == "Planned\ufffd work[2J tonight", path
