"""What to send, to whom, and what it says. Pure functions.

Every delivery has a deterministic id: hash(event id, kind, target). Planning the same event
twice (a redelivered event after a crash) therefore plans the same deliveries, which are only
created if absent: nobody gets a second copy because the planner ran twice.
"""
from __future__ import annotations

import hashlib
import hmac
from html import escape

BACKOFF_S = [30, 120, 600, 1800, 3600, 7200]


def delivery_id(event_id: str, kind: str, target: str) -> str:
    return hashlib.sha256(f"{event_id}|{kind}|{target}".encode()).hexdigest()[:20]


def backoff(attempts: int) -> int:
    return BACKOFF_S[min(attempts - 1, len(BACKOFF_S) - 1)]


def sign(secret: str, *parts: str) -> str:
    return hmac.new(secret.encode(), "|".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def verify(secret: str, signature: str, *parts: str) -> bool:
    return hmac.compare_digest(sign(secret, *parts).encode(), (signature or "").encode())


def severity(event_type: str, data: dict) -> str | None:
    if event_type.startswith("incident."):
        return {"none": "info", "minor": "minor", "major": "major", "critical": "critical"}.get(
            data.get("incident", {}).get("impact"), "info")
    if event_type == "check.status_changed":
        return {"down": "critical", "degraded": "minor"}.get(data.get("state"), "info")
    if event_type == "reports.spike":
        return "major" if data.get("state") == "problems_detected" else "minor"
    if event_type == "component.status_changed":
        return {"major_outage": "critical", "partial_outage": "major", "degraded_performance": "minor"}.get(
            data.get("new_status"), "info")
    return "info"


def components_of(event_type: str, data: dict) -> list[str]:
    if event_type.startswith(("incident.", "maintenance.")):
        doc = data.get("incident") or data.get("maintenance") or {}
        return [c["id"] for c in doc.get("components", [])]
    if event_type in ("component.status_changed", "reports.spike"):
        return [data["component_id"]]
    if event_type in ("check.status_changed", "announcement"):
        return list(data.get("component_ids", []))
    return []


def message(event_type: str, data: dict, page_url: str) -> dict:
    """{subject, text, html, title} for one event."""
    if event_type.startswith(("incident.", "maintenance.")):
        doc = data.get("incident") or data.get("maintenance") or {}
        update = data.get("update") or (doc.get("incident_updates") or [{}])[0]
        status = (update.get("status") or doc.get("status", "")).replace("_", " ")
        subject = f"[{status.title()}] {doc.get('name', 'Incident')}"
        names = ", ".join(c["name"] for c in doc.get("components", []))
        link = doc.get("shortlink") or page_url
        text = f"{doc.get('name')}\n\n{status.title()}: {update.get('body', '')}\n\nAffected: {names or 'none'}\n{link}\n"
        html = (f"<h2>{escape(doc.get('name', ''))}</h2><p><strong>{escape(status.title())}</strong>: "
                f"{escape(update.get('body', ''))}</p><p>Affected: {escape(names or 'none')}</p>"
                f'<p><a href="{escape(link)}">Follow this incident</a></p>')
    elif event_type == "check.status_changed":
        subject = f"[{data.get('state', '?').upper()}] {data.get('name')}"
        text = f"{data.get('name')} is {data.get('state')} (was {data.get('previous_state')}).\n{data.get('reason', '')}\n"
        html = f"<p><strong>{escape(str(data.get('name')))}</strong> is {escape(str(data.get('state')))}.</p>" \
               f"<p>{escape(str(data.get('reason', '')))}</p>"
    elif event_type == "reports.spike":
        problems = ", ".join(f"{p['type']} ({round(p['share'] * 100)} %)" for p in data.get("top_problems", []))
        subject = f"[Reports] {data.get('name')}: {data.get('state', '').replace('_', ' ')}"
        text = (f"{data.get('count')} problem reports in 15 minutes for {data.get('name')} "
                f"(baseline {data.get('baseline')}). Top problems: {problems or 'n/a'}\n")
        html = f"<p>{escape(text)}</p>"
    elif event_type == "component.status_changed":
        subject = f"{data.get('name')}: {data.get('new_status', '').replace('_', ' ')}"
        text = f"{data.get('name')} is now {data.get('new_status')} (was {data.get('old_status')}).\n"
        html = f"<p>{escape(text)}</p>"
    else:
        subject = data.get("subject") or data.get("title") or event_type
        text = data.get("message", "") + "\n"
        html = f"<p>{escape(data.get('message', ''))}</p>"
    return {"subject": subject, "text": text, "html": html, "title": subject}


def statuspage_webhook(event_type: str, data: dict, page: dict, unsubscribe_url: str) -> dict:
    """The payload Statuspage sends to subscriber webhooks, so their receivers work unchanged."""
    body = {"meta": {"unsubscribe": unsubscribe_url, "documentation": "https://support.atlassian.com/statuspage/"},
            "page": page}
    if event_type.startswith(("incident.", "maintenance.")):
        body["incident"] = data.get("incident") or data.get("maintenance")
    elif event_type == "component.status_changed":
        body["component_update"] = {"component_id": data["component_id"], "old_status": data["old_status"],
                                    "new_status": data["new_status"], "created_at": data.get("at")}
        body["component"] = {"id": data["component_id"], "name": data["name"], "status": data["new_status"]}
    else:
        body["event"] = {"type": event_type, "data": data}
    return body


def run_report(results: list[dict]) -> str:
    """Bresse's per-run report: DRYRUN.OK first, then NAME.OK or NAME.NOK per check."""
    lines = ["DRYRUN.OK"]
    for result in results:
        if result["name"].upper() == "DRYRUN":
            continue
        lines.append(f"{result['name']}.{'OK' if result['ok'] else 'NOK'}")
    return "\n".join(lines) + "\n"


def with_footer(msg: dict, unsubscribe_url: str | None, ack_url: str | None = None) -> dict:
    text, html = msg["text"], msg["html"]
    if ack_url:
        text += f"\nAcknowledge (stops the reminders): {ack_url}\n"
        html += f'<p><a href="{escape(ack_url)}">Acknowledge</a> to stop the reminders.</p>'
    if unsubscribe_url:
        text += f"\nUnsubscribe: {unsubscribe_url}\n"
        html += f'<p style="color:#666;font-size:12px"><a href="{escape(unsubscribe_url)}">Unsubscribe</a></p>'
    return {**msg, "text": text, "html": html}
