"""Planning and sending notifications (no Flask: the worker and the API share this).

Planning (inside the event consumer) turns one event into durable delivery records, written in
the same MULTI as the consumer's "handled" marker: a crash before the commit replans the same
ids, a crash after it finds them planned. Sending happens in a separate loop, per delivery,
with retries and exponential backoff; after MAX_ATTEMPTS a delivery becomes a dead letter that
an admin can retry.

The one window we accept: a message the SMTP server (or a webhook) accepted but whose "sent"
mark did not reach Redis before a crash is sent again on restart. It lasts between a server's
250 and one Redis SET, a few hundred microseconds per message.
"""
from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta

import redis
from polystatus.clock import isoformat
from polystatus.errors import Conflict, NotFound
from polystatus.events import Event
from polystatus.redis_store import atomic

from ..channels import service as channel_service
from ..channels import storage as channel_storage
from ..subscribers import storage as subscriber_storage
from . import senders, service, storage

log = logging.getLogger("comms.deliveries")
PERSON_EVENTS = ("incident.created", "incident.updated", "incident.resolved", "maintenance.scheduled",
                 "maintenance.started", "maintenance.completed", "announcement")
ALERT_OPENERS = {("check.status_changed", "down"), ("reports.spike", "problems_detected")}


def _unsubscribe_query(config: dict, who: str, kind: str, target: str) -> str:
    signature = service.sign(config["UNSUBSCRIBE_SECRET"], who, kind, target)
    return f"u={who}&k={kind}&t={target}&s={signature}"


def unsubscribe_url(config: dict, who: str, kind: str, target: str) -> str:
    """The link in the mail: a page of the public site (styled, in the reader's language) whose
    button unsubscribes; a GET alone changes nothing, so a mail scanner following links does not
    unsubscribe anyone."""
    return f"{config['PUBLIC_URL']}/unsubscribe?{_unsubscribe_query(config, who, kind, target)}"


def one_click_url(config: dict, who: str, kind: str, target: str) -> str:
    """RFC 8058 one-click unsubscribe (List-Unsubscribe-Post): mail clients POST here."""
    return f"{config['PUBLIC_URL']}/api/comms/unsubscribe?{_unsubscribe_query(config, who, kind, target)}"


def ack_url(config: dict, alert_id: str) -> str:
    return f"{config['PUBLIC_URL']}/ack?alert={alert_id}&s={service.sign(config['UNSUBSCRIBE_SECRET'], 'ack', alert_id)}"


def page_doc(config: dict) -> dict:
    return {"id": "polystatus", "status_indicator": "none", "status_description": "", "url": config["PUBLIC_URL"]}


def _delivery(event: Event, kind: str, target: str, msg: dict, now: datetime, **extra) -> dict:
    return {"id": service.delivery_id(event.id, kind, target), "event_id": event.id, "event_type": event.type,
            "kind": kind, "target": target, "subject": msg["subject"], "text": msg["text"], "html": msg["html"],
            "status": "pending", "attempts": 0, "last_error": None, "created_at": isoformat(now),
            "updated_at": isoformat(now), **extra}


def plan(r: redis.Redis, config: dict, event: Event, pipe, people, now: datetime) -> list[dict]:
    """Decide every delivery of one event and queue their creation on ``pipe``."""
    planned = []
    base = service.message(event.type, event.data, config["PUBLIC_URL"])
    components = service.components_of(event.type, event.data)
    if event.type in PERSON_EVENTS:
        recipients: dict[str, tuple[dict, str, str]] = {}
        doc = event.data.get("incident") or event.data.get("maintenance") or {}
        if event.type.startswith("incident.") and doc.get("id"):
            for person in people.followers(doc["id"]):
                recipients[person["id"]] = (person, "follows", doc["id"])
        for person in people.subscribers(components) if components else []:
            recipients.setdefault(person["id"], (person, "subscriptions", components[0]))
        if event.type == "announcement" and not components:
            for person in event.data.get("recipients", []):
                recipients.setdefault(person["id"], (person, "subscriptions", "all"))
        # Email-only subscribers (no account); one mail per address, whoever else has it.
        addresses = {person["email"] for person, *_ in recipients.values()}
        for subscriber in subscriber_storage.recipients(r, components):
            if subscriber["email"] not in addresses:
                addresses.add(subscriber["email"])
                recipients[f"email:{subscriber['id']}"] = (subscriber, "email", "all")
        # Each person's mail in their own language (an account's, or the email subscriber's).
        in_language = {"en": base}
        for person, kind, target in recipients.values():
            who = person["id"]
            lang = service.language(person.get("lang"))
            if lang not in in_language:
                in_language[lang] = service.message(event.type, event.data, config["PUBLIC_URL"], lang)
            msg = service.with_footer(in_language[lang], unsubscribe_url(config, who, kind, target), lang=lang)
            delivery = _delivery(event, "email", person["email"], msg, now,
                                 **({"subscriber_id": who} if kind == "email" else {"user_id": who}),
                                 unsubscribe=unsubscribe_url(config, who, kind, target),
                                 one_click=one_click_url(config, who, kind, target))
            storage.queue_create(pipe, delivery, now.timestamp())
            planned.append(delivery)
    alert = None
    if (event.type, event.data.get("state")) in ALERT_OPENERS:
        alert = open_alert(r, config, event, pipe, now)
    elif event.type == "check.status_changed" and event.data.get("state") == "up":
        resolve_alert(r, pipe, f"check:{event.data.get('check_id')}", now)
    sev = service.severity(event.type, event.data)
    for channel in channel_storage.all_channels(r):
        if not channel_service.matches(channel, event.type, components, sev):
            continue
        extra = {}
        if channel_service.is_sentry(channel["url"]):
            extra["sentry"] = service.sentry_event(
                event.type, event.data, page_url=config["PUBLIC_URL"],
                event_id=service.sentry_event_id(service.delivery_id(event.id, "channel", channel["id"])))
            if extra["sentry"] is None:
                continue  # e.g. a new check coming up: nothing to open or resolve in Sentry
        msg = service.with_footer(base, None, ack_url(config, alert["id"]) if alert else None)
        delivery = _delivery(event, "channel", channel["id"], msg, now, channel_name=channel["name"],
                             webhook=service.statuspage_webhook(event.type, event.data, page_doc(config), ""),
                             log_only=bool(channel.get("log_only")), **extra)
        storage.queue_create(pipe, delivery, now.timestamp())
        planned.append(delivery)
    return planned


def announce(r: redis.Redis, config: dict, people, now: datetime, *, subject: str, message: str,
             component_ids: list[str]) -> tuple[str, int]:
    """Staff's announcement to the subscribers of some components: (its id, deliveries planned)."""
    event = Event(id=f"announcement-{secrets.token_hex(8)}", type="announcement", source="comms", time=isoformat(now),
                  data={"subject": subject, "message": message, "component_ids": component_ids,
                        "incident": {"name": subject, "components": [{"id": c, "name": c} for c in component_ids]}})
    with atomic(r) as pipe:
        planned = plan(r, config, event, pipe, people, now)
        storage.queue_announcement(pipe, event.id, subject)
    return event.id, len(planned)


def alert_key(event: Event) -> str:
    if event.type == "check.status_changed":
        return f"check:{event.data.get('check_id')}"
    return f"reports:{event.data.get('component_id')}"


def open_alert(r: redis.Redis, config: dict, event: Event, pipe, now: datetime) -> dict:
    key = alert_key(event)
    existing = storage.alert_for_key(r, key)
    if existing:
        return existing
    alert = {"id": service.delivery_id(event.id, "alert", key), "key": key, "event_type": event.type,
             "data": event.data, "created_at": isoformat(now), "repeats": 0,
             "next_repeat_ts": (now + timedelta(minutes=config["ALERT_REPEAT_MINUTES"])).timestamp(),
             "acked_at": None, "acked_by": None, "resolved_at": None}
    storage.save_alert(pipe, alert)
    return alert


def resolve_alert(r: redis.Redis, pipe, key: str, now: datetime) -> None:
    alert = storage.alert_for_key(r, key)
    if alert and not alert.get("resolved_at"):
        alert["resolved_at"] = isoformat(now)
        storage.save_alert(pipe, alert)


def ack(r: redis.Redis, alert_id: str, who: str, now: datetime) -> dict | None:
    alert = storage.get_alert(r, alert_id)
    if alert is None:
        return None
    if not alert.get("acked_at"):
        alert["acked_at"], alert["acked_by"] = isoformat(now), who
        with atomic(r) as pipe:
            storage.save_alert(pipe, alert)
    return alert


def repeat_alerts(r: redis.Redis, config: dict, now: datetime) -> int:
    """Alerts nobody acknowledged are sent again to their channels every N minutes."""
    sent = 0
    for alert in storage.open_alerts(r):
        if alert["next_repeat_ts"] > now.timestamp():
            continue
        alert["repeats"] += 1
        event = Event(id=f"{alert['id']}-r{alert['repeats']}", type=alert["event_type"], source="comms",
                      time=isoformat(now), data=alert["data"])
        base = service.message(event.type, event.data, config["PUBLIC_URL"])
        msg = service.with_footer({**base, "subject": f"[Reminder {alert['repeats']}] {base['subject']}"}, None,
                                  ack_url(config, alert["id"]))
        components = service.components_of(event.type, event.data)
        minutes = config["ALERT_REPEAT_MINUTES"]
        with atomic(r) as pipe:
            for channel in channel_storage.all_channels(r):
                if channel_service.is_sentry(channel["url"]):
                    continue  # the Sentry issue stays open until recovery; Sentry's own alert rules remind
                if channel_service.matches(channel, event.type, components, service.severity(event.type, event.data)):
                    minutes = channel.get("repeat_minutes") or minutes
                    storage.queue_create(pipe, _delivery(event, "channel", channel["id"], msg, now,
                                                         channel_name=channel["name"], webhook=None,
                                                         log_only=bool(channel.get("log_only"))), now.timestamp())
                    sent += 1
            alert["next_repeat_ts"] = (now + timedelta(minutes=minutes)).timestamp()
            storage.save_alert(pipe, alert)
    return sent


FINISH_RETRY_S = (0.2, 0.5, 1, 2, 5, 10, 15, 30, 30, 30)


def finish_durably(r: redis.Redis, delivery: dict, **outcome) -> None:
    """Record a delivery's outcome, waiting out a Redis restart (up to about two minutes).

    The message has left already: if this record were lost with the process, the delivery
    would go out a second time. So a brief Redis outage is waited for here, rather than
    crashing the worker between "sent" and "marked sent"."""
    for pause in (*FINISH_RETRY_S, None):
        try:
            storage.finish(r, delivery, **outcome)
            return
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if pause is None:
                raise
            log.warning("recording delivery %s failed (%s); retrying in %s s", delivery["id"], exc, pause)
            time.sleep(pause)


def deliver_due(r: redis.Redis, config: dict, now: datetime, owner: str, *, limit: int = 500) -> dict:
    counts = {"sent": 0, "logged": 0, "failed": 0, "dead": 0}
    claimed = storage.claim_due(r, storage.due(r, now.timestamp(), limit), owner, config.get("DELIVERY_LOCK_S", 60),
                                now.timestamp())
    emails = [d for d in claimed if d["kind"] == "email"]
    channels = [d for d in claimed if d["kind"] == "channel"]

    def done(delivery: dict, status: str, error: str | None = None, permanent: bool = False) -> None:
        delivery["attempts"] += 0 if status == "logged" else 1
        delivery["updated_at"], delivery["updated_ts"] = isoformat(now), now.timestamp()
        if status in ("sent", "logged"):
            delivery.update(status=status, last_error=None)
            if delivery.get("redact"):
                # An account email holds a single-use link: once sent, only its subject is kept.
                delivery.update(text="", html="", redacted=True)
            finish_durably(r, delivery)
        elif permanent or delivery["attempts"] >= config["MAX_ATTEMPTS"]:
            delivery.update(status="dead", last_error=error)
            finish_durably(r, delivery, dead=True)
            counts["dead"] += 1
            return
        else:
            delivery.update(status="failed", last_error=error)
            finish_durably(r, delivery, requeue_at=now.timestamp() + service.backoff(delivery["attempts"]))
        counts[status if status in counts else "failed"] += 1

    if emails:
        if config["ONLY_LOG"]:
            for delivery in emails:
                log.info("only_log: email to %s: %s", delivery["target"], delivery["subject"])
                done(delivery, "logged")
        else:
            try:
                batch = senders.SMTPBatch(config["SMTP_URL"], config["MAIL_FROM"]).__enter__()
            except senders.SendError as exc:
                batch = None
                for delivery in emails:  # nothing was sent: every one of them is retried later
                    done(delivery, "failed", str(exc))
            if batch is not None:
                try:
                    for delivery in emails:
                        headers = senders.unsubscribe_headers(delivery.get("one_click") or delivery.get("unsubscribe"),
                                                              one_click=bool(delivery.get("one_click")))
                        try:
                            batch.send(delivery["target"], delivery["subject"], delivery["text"], delivery["html"],
                                       headers, message_id=delivery["id"])
                            done(delivery, "sent")
                        except senders.SendError as exc:
                            done(delivery, "failed", str(exc), exc.permanent)
                finally:
                    batch.__exit__(None, None, None)
    for delivery in channels:
        channel = channel_storage.get(r, delivery["target"])
        if channel is None:
            done(delivery, "failed", "the channel was deleted", permanent=True)
            continue
        if config["ONLY_LOG"] or delivery.get("log_only") or channel.get("log_only"):
            log.info("only_log: %s: %s", channel["name"], delivery["subject"])
            done(delivery, "logged")
            continue
        try:
            sentry = None
            if channel_service.is_sentry(channel["url"]):  # planned for it, or for the URL it had before
                sentry = delivery.get("sentry") or service.sentry_fallback(
                    delivery["subject"], delivery["text"], event_id=service.sentry_event_id(delivery["id"]))
            senders.send_channel(channel["url"], delivery["subject"], delivery["text"], delivery.get("webhook"),
                                 sentry_payload=sentry)
            done(delivery, "sent")
        except senders.SendError as exc:
            done(delivery, "failed", str(exc), exc.permanent)
    return counts


def _dead_letter(r: redis.Redis, delivery_id: str) -> dict:
    delivery = storage.get(r, delivery_id)
    if delivery is None:
        raise NotFound("No such delivery.")
    if delivery["status"] != "dead":
        raise Conflict("This delivery is not a dead letter.", details={"status": delivery["status"]})
    return delivery


def retry_dead_letter(r: redis.Redis, now: datetime, delivery_id: str) -> dict:
    delivery = _dead_letter(r, delivery_id)
    delivery.update(status="pending", attempts=0, last_error=None, updated_at=isoformat(now))
    storage.retry(r, delivery, now.timestamp())
    return delivery


def discard_dead_letter(r: redis.Redis, now: datetime, delivery_id: str, *, by: str) -> dict:
    delivery = _dead_letter(r, delivery_id)
    delivery.update(status="discarded", discarded_by=by, updated_at=isoformat(now))
    storage.discard(r, delivery)
    return delivery
