"""Deliveries, dead letters, alerts and acknowledgements, unsubscribe links, announcements,
Bresse run reports, and the development mailbox."""
from __future__ import annotations

import socket
from urllib.parse import urlencode

from apiflask import APIBlueprint
from flask import current_app, redirect
from polystatus import audit, paging
from polystatus.auth import current_identity, require_role
from polystatus.clock import isoformat
from polystatus.errors import Conflict, Forbidden, NotFound, Unavailable
from polystatus.redis_store import get_redis

from ..mail import storage as mail_storage
from ..subscribers import flows as subscriber_flows
from . import flows, schemas, senders, service, storage

bp = APIBlueprint("deliveries", __name__, tag="Deliveries and alerts")
# follows / subscriptions: an account's (through users); email: an email-only subscriber's.
UNSUBSCRIBE_KINDS = ("follows", "subscriptions", "email")


@bp.get("/deliveries")
@bp.input(schemas.PageQuery, location="query")
@bp.output(schemas.DeliveryListOut)
@bp.doc(summary="The delivery log, newest first (admin)")
@require_role("admin")
def list_deliveries(query_data):
    return {"deliveries": storage.recent(get_redis(), query_data["limit"])}


@bp.get("/dead-letters")
@bp.input(schemas.DeadLetterQuery, location="query")
@bp.output(schemas.DeadLetterPageOut)
@bp.doc(summary="Deliveries that failed for good, newest first, a page at a time (admin)")
@require_role("admin")
def list_dead_letters(query_data):
    items, total = storage.dead_letters(get_redis(), *paging.window(query_data))
    return paging.answer("deliveries", items, query_data, total)


@bp.post("/dead-letters/<delivery_id>/retry")
@bp.output(schemas.DeliveryOut)
@bp.doc(summary="Send a dead letter again (admin)", responses={409: "Not a dead letter"})
@require_role("admin")
def retry_dead_letter(delivery_id):
    return flows.retry_dead_letter(get_redis(), current_app.config["CLOCK"].now(), delivery_id)


@bp.delete("/dead-letters/<delivery_id>")
@bp.output(schemas.DeliveryOut)
@bp.doc(summary="Discard a dead letter: never sent; it stays in the delivery log as discarded (admin)",
        responses={409: "Not a dead letter"})
@require_role("admin")
def discard_dead_letter(delivery_id):
    return flows.discard_dead_letter(get_redis(), current_app.config["CLOCK"].now(), delivery_id,
                                     by=current_identity().email or current_identity().sub)


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


def check_ack_signature(alert_id: str, signature: str) -> None:
    if not service.verify(current_app.config["UNSUBSCRIBE_SECRET"], signature, "ack", alert_id):
        raise Forbidden("This link is not valid.")


@bp.get("/alerts/<alert_id>/ack")
@bp.input(schemas.AckQuery, location="query")
@bp.doc(summary="An acknowledge link of an older message: sent on to the page on the public site (signed)",
        responses={303: {"description": "to the acknowledge page"}, 403: "Bad signature"})
def ack_alert_link(alert_id, query_data):
    check_ack_signature(alert_id, query_data["s"])
    return redirect(f"{current_app.config['PUBLIC_URL']}/ack?{urlencode({'alert': alert_id, 's': query_data['s']})}", 303)


@bp.post("/alerts/<alert_id>/ack/link")
@bp.input(schemas.AckQuery, location="query")
@bp.output(schemas.AlertOut)
@bp.doc(summary="Acknowledge with the signed link of a message (the signature is the credential)",
        responses={403: "Bad signature"})
def ack_alert_by_link(alert_id, query_data):
    check_ack_signature(alert_id, query_data["s"])
    alert = flows.ack(get_redis(), alert_id, "link", current_app.config["CLOCK"].now())
    if alert is None:
        raise NotFound("No such alert.")
    return alert


def check_unsubscribe_signature(query_data: dict) -> None:
    if query_data["k"] not in UNSUBSCRIBE_KINDS or not service.verify(
            current_app.config["UNSUBSCRIBE_SECRET"], query_data["s"], query_data["u"], query_data["k"], query_data["t"]):
        raise Forbidden("This unsubscribe link is not valid.")


@bp.get("/unsubscribe")
@bp.input(schemas.UnsubscribeQuery, location="query")
@bp.doc(summary="An unsubscribe link of an older email: sent on to the page on the public site (signed)",
        responses={303: {"description": "to the unsubscribe page"}, 403: "Bad signature"})
def unsubscribe_link(query_data):
    check_unsubscribe_signature(query_data)
    return redirect(f"{current_app.config['PUBLIC_URL']}/unsubscribe?{urlencode(query_data)}", 303)


@bp.post("/unsubscribe")
@bp.input(schemas.UnsubscribeQuery, location="query")
@bp.output(schemas.UnsubscribedOut)
@bp.doc(summary="Unsubscribe with the signed link of an email; also RFC 8058 one-click (List-Unsubscribe-Post)",
        responses={403: "Bad signature", 503: "Users unreachable"})
def unsubscribe(query_data):
    check_unsubscribe_signature(query_data)
    who, kind, target = query_data["u"], query_data["k"], query_data["t"]
    if kind == "email":
        subscriber_flows.unsubscribe(get_redis(), who)
    else:
        try:
            current_app.extensions["people"].remove(who, kind, target)
        except Exception as exc:
            raise Unavailable(f"We could not reach the accounts service; try again in a minute. ({type(exc).__name__})") from None
    return {"kind": kind, "target": target}


@bp.post("/announcements")
@bp.input(schemas.AnnouncementIn)
@bp.output(schemas.AnnouncementOut, status_code=201)
@bp.doc(summary="Send an announcement to the subscribers of some components (staff)")
@require_role("staff")
def announce(json_data):
    announcement_id, planned = flows.announce(
        get_redis(), current_app.config, current_app.extensions["people"], current_app.config["CLOCK"].now(),
        subject=json_data["subject"], message=json_data["message"], component_ids=json_data["components"])
    return {"id": announcement_id, "planned": planned}


@bp.post("/reports/runs")
@audit.exempt("a checker's per-run report, every run")
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
