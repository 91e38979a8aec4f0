"""Deliveries, dead letters, alerts and acknowledgements, unsubscribe links, announcements,
Bresse run reports, and the development mailbox."""
from __future__ import annotations

import secrets
import socket

from apiflask import APIBlueprint
from flask import Response, current_app
from polystatus.auth import current_identity, require_role
from polystatus.clock import isoformat
from polystatus.errors import Conflict, Forbidden, NotFound, Unavailable
from polystatus.events import Event
from polystatus.redis_store import get_redis

from ..mail import storage as mail_storage
from . import flows, schemas, senders, service, storage

bp = APIBlueprint("deliveries", __name__, tag="Deliveries and alerts")
HTML = {200: {"description": "a small confirmation page", "content": {"text/html": {"schema": {"type": "string"}}}}}


def page(title: str, text: str) -> Response:
    from html import escape

    return Response(f"<!doctype html><meta charset=utf-8><title>{escape(title)}</title>"
                    f"<body style='font-family:system-ui;max-width:36rem;margin:4rem auto'><h1>{escape(title)}</h1>"
                    f"<p>{escape(text)}</p></body>", content_type="text/html; charset=utf-8")


@bp.get("/deliveries")
@bp.input(schemas.PageQuery, location="query")
@bp.output(schemas.DeliveryListOut)
@bp.doc(summary="The delivery log, newest first (admin)")
@require_role("admin")
def list_deliveries(query_data):
    return {"deliveries": storage.recent(get_redis(), query_data["limit"])}


@bp.get("/dead-letters")
@bp.output(schemas.DeliveryListOut)
@bp.doc(summary="Deliveries that failed for good (admin)")
@require_role("admin")
def list_dead_letters():
    return {"deliveries": storage.dead_letters(get_redis())}


@bp.post("/dead-letters/<delivery_id>/retry")
@bp.output(schemas.DeliveryOut)
@bp.doc(summary="Send a dead letter again (admin)", responses={409: "Not a dead letter"})
@require_role("admin")
def retry_dead_letter(delivery_id):
    r = get_redis()
    delivery = storage.get(r, delivery_id)
    if delivery is None:
        raise NotFound("No such delivery.")
    if delivery["status"] != "dead":
        raise Conflict("Only dead letters can be retried.")
    delivery.update(status="pending", attempts=0, last_error=None)
    storage.retry(r, delivery, current_app.config["CLOCK"].now().timestamp())
    return delivery


@bp.get("/alerts")
@bp.output(schemas.AlertListOut)
@bp.doc(summary="Alerts waiting for someone to acknowledge them (staff)")
@require_role("staff")
def list_alerts():
    return {"alerts": storage.open_alerts(get_redis())}


@bp.post("/alerts/<alert_id>/ack")
@bp.output(schemas.AlertOut)
@bp.doc(summary="Acknowledge an alert: its reminders stop (staff)")
@require_role("staff")
def ack_alert(alert_id):
    alert = flows.ack(get_redis(), alert_id, current_identity().email or current_identity().sub,
                      current_app.config["CLOCK"].now())
    if alert is None:
        raise NotFound("No such alert.")
    return alert


@bp.get("/alerts/<alert_id>/ack")
@bp.input(schemas.AckQuery, location="query")
@bp.doc(summary="Acknowledge from the link in a message (signed)", responses={**HTML, 403: "Bad signature"})
def ack_alert_link(alert_id, query_data):
    if not service.verify(current_app.config["UNSUBSCRIBE_SECRET"], query_data["s"], "ack", alert_id):
        raise Forbidden("This link is not valid.")
    if flows.ack(get_redis(), alert_id, "link", current_app.config["CLOCK"].now()) is None:
        raise NotFound("No such alert.")
    return page("Acknowledged", "The reminders for this alert have stopped.")


@bp.get("/unsubscribe")
@bp.input(schemas.UnsubscribeQuery, location="query")
@bp.doc(summary="Unsubscribe from the link in an email (signed)", responses={**HTML, 403: "Bad signature", 503: "Users unreachable"})
def unsubscribe(query_data):
    config = current_app.config
    user, kind, target = query_data["u"], query_data["k"], query_data["t"]
    if kind not in ("follows", "subscriptions") or not service.verify(config["UNSUBSCRIBE_SECRET"], query_data["s"],
                                                                      user, kind, target):
        raise Forbidden("This unsubscribe link is not valid.")
    try:
        current_app.extensions["people"].remove(user, kind, target)
    except Exception as exc:
        raise Unavailable(f"We could not reach the accounts service; try again in a minute. ({type(exc).__name__})") from None
    return page("Unsubscribed", "You will not receive these emails any more.")


@bp.post("/announcements")
@bp.input(schemas.AnnouncementIn)
@bp.output(schemas.AnnouncementOut, status_code=201)
@bp.doc(summary="Send an announcement to the subscribers of some components (staff)")
@require_role("staff")
def announce(json_data):
    r = get_redis()
    now = current_app.config["CLOCK"].now()
    event = Event(id=f"announcement-{secrets.token_hex(8)}", type="announcement", source="comms", time=isoformat(now),
                  data={"subject": json_data["subject"], "message": json_data["message"],
                        "component_ids": json_data["components"],
                        "incident": {"name": json_data["subject"], "components": [{"id": c, "name": c} for c in json_data["components"]]}})
    pipe = r.pipeline(transaction=True)
    planned = flows.plan(r, current_app.config, event, pipe, current_app.extensions["people"], now)
    pipe.set(f"announcement:{event.id}", json_data["subject"])
    pipe.execute()
    return {"id": event.id, "planned": len(planned)}


@bp.post("/reports/runs")
@bp.input(schemas.RunReportIn)
@bp.output(schemas.RunReportOut)
@bp.doc(summary="Bresse's per-run report: DRYRUN.OK then NAME.OK/NAME.NOK, mailed to the monitoring address",
        responses={409: "No address (RUN_REPORT_TO or `to`)", 503: "SMTP unreachable"})
@require_role("admin", "service")
def run_report(json_data):
    config = current_app.config
    to = json_data.get("to") or config["RUN_REPORT_TO"]
    if not to:
        raise Conflict("No monitoring address: set RUN_REPORT_TO or give `to`.")
    text = service.run_report(json_data["results"])
    host = socket.gethostname()
    subject = f"[{'NOK' if '.NOK' in text else 'OK'}] PolyStatus run report {json_data['group'] or host} " \
              f"{isoformat(config['CLOCK'].now())}"
    sent = False
    if not config["ONLY_LOG"]:
        try:
            with senders.SMTPBatch(config["SMTP_URL"], config["MAIL_FROM"]) as smtp:
                smtp.send(to, subject, text, f"<pre>{text}</pre>")
            sent = True
        except senders.SendError as exc:
            raise Unavailable(str(exc)) from None
    return {"to": to, "subject": subject, "text": text, "sent": sent}


@bp.get("/mail")
@bp.input(schemas.PageQuery, location="query")
@bp.output(schemas.MailListOut)
@bp.doc(summary="Messages caught by the development mail catcher (admin)")
@require_role("admin")
def list_mail(query_data):
    return {"messages": mail_storage.listing(current_app.config["MAIL_CATCHER_DIR"], query_data["limit"])}


@bp.get("/mail/<message_id>")
@bp.output(schemas.MailOut)
@bp.doc(summary="One caught message (admin)")
@require_role("admin")
def get_mail(message_id):
    message = mail_storage.read(current_app.config["MAIL_CATCHER_DIR"], message_id)
    if message is None:
        raise NotFound("No such message.")
    return message
