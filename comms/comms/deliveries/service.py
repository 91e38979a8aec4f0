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
    if event_type == "check.expiry_warning":
        return "major" if data.get("days_left", 0) <= 1 else "minor"
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
    if event_type in ("check.status_changed", "check.expiry_warning", "announcement"):
        return list(data.get("component_ids", []))
    return []


# The words of the mails people receive (followers, subscribers), in the languages of the
# pages; a person's language comes with them from users (or the email subscriber's record).
# Channels are a team's own: their messages stay in English.
LANGS = ("en", "fr")
STATUS_WORDS = {"fr": {"investigating": "En cours d'analyse", "identified": "Identifié", "monitoring": "Sous surveillance",
                       "resolved": "Résolu", "postmortem": "Post-mortem", "scheduled": "Planifiée",
                       "in_progress": "En cours", "verifying": "Vérification", "completed": "Terminée"}}
WORDS = {"en": {"affected": "Affected", "none": "none", "follow": "Follow this incident", "unsubscribe": "Unsubscribe",
                "ack": "Acknowledge (stops the reminders)", "ack_link": "Acknowledge", "ack_rest": "to stop the reminders."},
         "fr": {"affected": "Composants concernés", "none": "aucun", "follow": "Suivre cet incident",
                "unsubscribe": "Se désabonner", "ack": "Prendre en compte (arrête les rappels)",
                "ack_link": "Prendre en compte", "ack_rest": "pour arrêter les rappels."}}


def language(lang: str | None) -> str:
    return lang if lang in LANGS else "en"


def status_word(status: str, lang: str) -> str:
    return STATUS_WORDS.get(lang, {}).get(status) or status.replace("_", " ").title()


def message(event_type: str, data: dict, page_url: str, lang: str = "en") -> dict:
    """{subject, text, html, title} for one event, in ``lang`` where a person reads it."""
    words = WORDS[language(lang)]
    if event_type.startswith(("incident.", "maintenance.")):
        doc = data.get("incident") or data.get("maintenance") or {}
        update = data.get("update") or (doc.get("incident_updates") or [{}])[0]
        status = status_word(update.get("status") or doc.get("status", ""), language(lang))
        subject = f"[{status}] {doc.get('name', 'Incident')}"
        names = ", ".join(c["name"] for c in doc.get("components", []))
        link = doc.get("shortlink") or page_url
        text = (f"{doc.get('name')}\n\n{status}: {update.get('body', '')}\n\n"
                f"{words['affected']}: {names or words['none']}\n{link}\n")
        html = (f"<h2>{escape(doc.get('name', ''))}</h2><p><strong>{escape(status)}</strong>: "
                f"{escape(update.get('body', ''))}</p><p>{escape(words['affected'])}: {escape(names or words['none'])}</p>"
                f'<p><a href="{escape(link)}">{escape(words["follow"])}</a></p>')
    elif event_type == "check.status_changed":
        subject = f"[{data.get('state', '?').upper()}] {data.get('name')}"
        text = f"{data.get('name')} is {data.get('state')} (was {data.get('previous_state')}).\n{data.get('reason', '')}\n"
        html = f"<p><strong>{escape(str(data.get('name')))}</strong> is {escape(str(data.get('state')))}.</p>" \
               f"<p>{escape(str(data.get('reason', '')))}</p>"
    elif event_type == "check.expiry_warning":
        subject, text = expiry_text(data)
        html = f"<p><strong>{escape(str(data.get('name')))}</strong>: {escape(text)}</p>"
        text += "\n"
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


def expiry_text(data: dict) -> tuple[str, str]:
    """(subject, sentence) of a check.expiry_warning: a TLS certificate or a domain's registration."""
    what = "TLS certificate" if data.get("what") == "certificate" else "domain registration"
    subject_of = f" of {data['subject']}" if data.get("subject") else ""
    days = int(data.get("days_left", 0))
    when = (f"expired {-days} day{'s' if days != -1 else ''} ago" if days < 0 else "expires within a day" if days == 0
            else f"expires in {days} day{'s' if days != 1 else ''}")
    date = str(data.get("expires_at", ""))[:10]
    return (f"[Expiring] {data.get('name')}: {what} {when}",
            f"The {what}{subject_of} {when} ({date}); this warning is sent once at {data.get('threshold')} days.")


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


def with_footer(msg: dict, unsubscribe_url: str | None, ack_url: str | None = None, lang: str = "en") -> dict:
    text, html = msg["text"], msg["html"]
    words = WORDS[language(lang)]
    if ack_url:
        text += f"\n{words['ack']}: {ack_url}\n"
        html += f'<p><a href="{escape(ack_url)}">{escape(words["ack_link"])}</a> {escape(words["ack_rest"])}</p>'
    if unsubscribe_url:
        text += f"\n{words['unsubscribe']}: {unsubscribe_url}\n"
        html += f'<p style="color:#666;font-size:12px"><a href="{escape(unsubscribe_url)}">{escape(words["unsubscribe"])}</a></p>'
    return {**msg, "text": text, "html": html}


# ------------------------------------------------------------------------------------ Sentry
# A Sentry channel gets one Sentry issue per thing that can break (a check, a heartbeat, an
# incident...), by fingerprint, so every state change of a check lands in the same issue.
SENTRY_CHECK_LEVELS = {"down": "error", "degraded": "warning", "up": "info"}
SENTRY_SEVERITY_LEVELS = {"critical": "error", "major": "error", "minor": "warning", "info": "info"}
_TAG_MAX = 200  # Sentry's longest tag value


def sentry_event_id(delivery_id: str) -> str:
    """A delivery's Sentry event id, the same on every attempt: Sentry keeps one event per id,
    so a send repeated after a crash or a retry is not a second event."""
    return hashlib.sha256(f"sentry|{delivery_id}".encode()).hexdigest()[:32]


def _tag(value) -> str:
    return " ".join(str(value).split())[:_TAG_MAX]


def _sentry_check(data: dict) -> dict | None:
    state, previous = data.get("state"), data.get("previous_state")
    if state not in SENTRY_CHECK_LEVELS:
        return None  # paused, unknown: nothing broke, nothing recovered
    if state == "up" and previous not in ("down", "degraded"):
        return None  # a new check coming up: no issue to open, none to resolve
    name, check_id, reason = data.get("name") or data.get("check_id"), str(data.get("check_id")), data.get("reason") or ""
    regions = {region: "up" if ok else "down" for region, ok in (data.get("regions") or {}).items()}
    failing = sorted(region for region, verdict in regions.items() if verdict == "down")
    message = {"down": f"{name} is down", "degraded": f"{name} is degraded", "up": f"{name} recovered"}[state]
    tags = {"check_id": _tag(check_id), "check": _tag(name), "state": state, "source": _tag(data.get("source", "check"))}
    if failing:
        tags["region"] = _tag(",".join(failing))
    contexts = {"check": {"id": check_id, "name": name, "state": state, "previous_state": previous, "reason": reason,
                          "source": data.get("source", "check"), "components": data.get("component_ids", []),
                          "changed_at": data.get("at")}}
    if regions:
        contexts["regions"] = regions
    if isinstance(data.get("last_result"), dict):
        contexts["last_result"] = data["last_result"]
    return {"message": f"{message}: {reason}" if reason else message, "level": SENTRY_CHECK_LEVELS[state],
            "fingerprint": ["polystatus-check", check_id], "tags": tags, "contexts": contexts,
            "resolve": state == "up"}


def _sentry_other(event_type: str, data: dict) -> dict:
    text = message(event_type, data, "")
    if event_type.startswith(("incident.", "maintenance.")):
        doc = data.get("incident") or data.get("maintenance") or {}
        group = "polystatus-incident" if event_type.startswith("incident.") else "polystatus-maintenance"
        fingerprint, resolve = [group, str(doc.get("id"))], event_type in ("incident.resolved", "maintenance.completed")
    elif event_type in ("component.status_changed", "reports.spike"):
        group = "polystatus-component" if event_type == "component.status_changed" else "polystatus-reports"
        fingerprint = [group, str(data.get("component_id"))]
        resolve = data.get("new_status") == "operational" if event_type == "component.status_changed" \
            else data.get("state") != "problems_detected"
    else:
        fingerprint, resolve = ["polystatus", event_type], False
    level = "info" if resolve else SENTRY_SEVERITY_LEVELS.get(severity(event_type, data) or "info", "info")
    return {"message": text["subject"], "level": level, "fingerprint": fingerprint, "tags": {"event_type": event_type},
            "contexts": {"polystatus": {"event_type": event_type, "summary": text["text"]}},
            "resolve": resolve}


def sentry_event(event_type: str, data: dict, *, event_id: str, page_url: str) -> dict | None:
    """{event, resolve} for a Sentry channel, or None when the change is not worth an event.

    ``event`` is a Sentry event (message, level, fingerprint, tags, contexts) for sentry-sdk to
    send; ``resolve`` says that it closes its issue (a recovery), which sentry-sdk cannot do:
    the channel then resolves the issue through Sentry's Web API if it has a token."""
    built = _sentry_check(data) if event_type == "check.status_changed" else _sentry_other(event_type, data)
    if built is None:
        return None
    resolve = built.pop("resolve")
    built["tags"]["event_type"] = event_type
    built.setdefault("contexts", {}).setdefault("polystatus", {})["page"] = page_url
    return {"event": {"event_id": event_id, "logger": "polystatus", "platform": "other", **built}, "resolve": resolve}


def sentry_fallback(subject: str, text: str, *, event_id: str) -> dict:
    """A Sentry event for a delivery planned before its channel was a Sentry one."""
    return {"event": {"event_id": event_id, "logger": "polystatus", "platform": "other", "level": "warning",
                      "message": f"{subject}\n\n{text}".strip()}, "resolve": False}
