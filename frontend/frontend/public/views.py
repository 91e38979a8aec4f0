"""The public pages, rendered by the server from the frontend's cached data so they read well
without JavaScript (and an edge cache holds real content); static/js/pages/<page>.js then
enhances them (refresh, local times, reports without a reload)."""
from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from apiflask import APIBlueprint
from flask import Response, current_app, redirect, request
from polystatus.errors import body as error_body
from polystatus.logs import current_request_id
from werkzeug.exceptions import NotFound

from ..page import charts, language, richtext, service
from ..page.views import HTML, PUBLIC_HTML_CACHE, shell
from . import sources

bp = APIBlueprint("public", __name__, tag="Public pages")
_html = {"content": {"text/html": {"schema": {"type": "string"}}}}
PAGE = {**HTML, 503: {"description": "the page, saying what is temporarily unavailable", **_html}}
ITEM = {**PAGE, 404: {"description": "a page saying there is no such thing", **_html}}
CACHE = PUBLIC_HTML_CACHE
_rendering = threading.Lock()


def page(name: str, template: str, status: int = 200, **context):
    doc = context.pop("doc", None) or sources.page_document() or {}
    context.setdefault("now_iso", datetime.now(UTC).isoformat(timespec="seconds"))
    response = shell(name, template=f"public/{template}", doc=doc, page_name=(doc.get("page") or {}).get("name"),
                     charts=charts, service=service, language=language, richtext=richtext.render, now_ts=time.time(),
                     **context)
    response.status_code = status
    if status == 200:
        response.headers["Cache-Control"] = CACHE
    return response


def not_found(what: str):
    return page("notfound", "notfound.html", status=404, what=what)


@bp.app_errorhandler(NotFound)
def unknown_address(exc: NotFound):
    """A mistyped address opened in the browser gets the site's page saying so, in the visitor's
    language, with the way back; a program (the API, a fetch) gets the usual JSON error."""
    wants_page = request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    if wants_page and not request.path.startswith("/api/"):
        response = not_found("page")
        response.headers["Cache-Control"] = "no-store"
        return response
    return error_body(404, (exc.description or exc.name).split("\n")[0]), 404


@bp.get("/")
@bp.doc(summary="The public status page (rendered once per cached copy and language; ETag)",
        responses={**PAGE, 304: {"description": "not modified"}})
def status_page():
    found = sources.page_entry()
    if found is None:
        return page("status", "status.html", status=503, doc={}, unavailable=True)
    entry, age = found
    if request.args:  # ?reported=… after a report without JavaScript: rendered for this visitor
        return page("status", "status.html", doc=entry.value, reported=request.args.get("reported"))
    # The page everyone asks for during an outage: rendered once per copy of the data and per
    # language, then served from memory with an ETag (a browser's or an edge's 304), like
    # /api/page.json. Its "Updated" time is the data's.
    key = "html:" + language.current()
    if key not in entry.rendered:
        with _rendering:  # one thread renders a new copy; the others wait for it, not render it too
            if key not in entry.rendered:
                response = page("status", "status.html", doc=entry.value,
                                now_iso=datetime.fromtimestamp(entry.stored_at, UTC).isoformat(timespec="seconds"))
                body = response.get_data()
                entry.rendered[key] = (body, '"' + hashlib.sha256(body).hexdigest()[:24] + '"')
    body, etag = entry.rendered[key]
    headers = {"ETag": etag, "Cache-Control": CACHE, "Age": str(int(age)), "Vary": "Cookie, Accept-Language"}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(body, content_type="text/html; charset=utf-8", headers=headers)


@bp.get("/components/<component_id>")
@bp.doc(summary="One component: its status, incidents, user reports against the usual level, uptime, checks",
        responses=ITEM)
def component_page(component_id):
    doc = sources.page_document() or {}
    component = next((c for c in doc.get("components") or [] if c["id"] == component_id), None)
    if component is None:
        return not_found("component")
    unavailable = []
    try:
        reports = sources.reports(component_id)
    except (sources.Missing, sources.Unavailable):
        reports, _ = None, unavailable.append("reports")
    try:
        touching = sources.incidents({"component": component_id}, per_page=10)["incidents"]
    except (sources.Missing, sources.Unavailable):
        touching, _ = [], unavailable.append("incidents")
    checks = []
    for check in [c for c in doc.get("checks") or [] if component_id in (c.get("component_ids") or [])][:3]:
        try:
            results = sources.check_results(check["id"])
        except (sources.Missing, sources.Unavailable):
            results = []
        checks.append({**check, "results": results})
    return page("component", "component.html", doc=doc, item_id=component_id, component=component, reports=reports,
                open_incidents=[i for i in touching if service.is_open(i)],
                recent_incidents=[i for i in touching if not service.is_open(i)][:5], checks=checks,
                unavailable=unavailable, reported=request.args.get("reported"))


@bp.get("/incidents/<incident_id>")
@bp.doc(summary="One incident: affected components, impact, duration, timeline, postmortem", responses=ITEM)
def incident_page(incident_id):
    try:
        incident = sources.incident(incident_id)
    except sources.Missing:
        return not_found("incident")
    except sources.Unavailable:
        return page("incident", "incident.html", status=503, item_id=incident_id, incident=None)
    return page("incident", "incident.html", item_id=incident_id, incident=incident,
                affected=service.affected_components(incident),
                duration=service.duration_seconds(incident, time.time()))


@bp.get("/history")
@bp.doc(summary="Incident history: search, filter by component and month, pages in the URL", responses=PAGE)
def history_page():
    doc = sources.page_document() or {}
    components = doc.get("components") or []
    filters = service.history_filters(request.args, [c["id"] for c in components])
    try:
        found = sources.incidents(filters)
    except (sources.Missing, sources.Unavailable):
        return page("history", "history.html", status=503, doc=doc, filters=filters, found=None, components=components)
    pages = max(1, -(-found["total"] // found["per_page"]))
    return page("history", "history.html", doc=doc, filters=filters, found=found, pages=pages, components=components,
                link=lambda **change: service.history_link(filters, **change))


@bp.get("/checks/<check_id>")
@bp.doc(summary="One check: its state, regions and response times", responses=ITEM)
def check_page(check_id):
    doc = sources.page_document() or {}
    check = next((c for c in doc.get("checks") or [] if c["id"] == check_id), None)
    if check is None:
        return not_found("check")
    try:
        results = sources.check_results(check_id)
    except (sources.Missing, sources.Unavailable):
        results = []
    return page("check", "check.html", doc=doc, item_id=check_id, check=check, all_results=results, results=results[:20])


def _same_origin() -> bool:
    """A form post from our own pages (or from a client that is not a browser): another site
    cannot make its visitors file reports here. Browsers say where a request comes from in
    Sec-Fetch-Site; our Referrer-Policy (no-referrer) makes their Origin "null" on form posts,
    so Origin is only read from older browsers that send no Sec-Fetch-Site."""
    site = request.headers.get("Sec-Fetch-Site")
    if site:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return not origin or origin == "null" or urlsplit(origin).netloc == request.host


@bp.post("/report")
@bp.doc(summary="'I have a problem' without JavaScript: files the report, then back to the component with thanks",
        responses={303: {"description": "back to the component's page, which says thanks (or why not)"}})
def report_form():
    component_id = (request.form.get("component_id") or "")[:64]
    problem_type = (request.form.get("problem_type") or "")[:32]
    if not _same_origin():
        return redirect("/", 303)
    outcome = "thanks"
    base = current_app.config["BACKENDS"]["incidents"]
    headers = {"X-Forwarded-For": request.remote_addr or ""}
    if current_request_id():
        headers["X-Request-ID"] = current_request_id()
    try:
        answer = current_app.extensions["backend_http"].post(
            f"{base}/reports", json={"component_id": component_id, "problem_type": problem_type}, headers=headers)
        if answer.status_code == 429:
            outcome = "limited"
        elif answer.status_code >= 400:
            outcome = "refused"
    except Exception:  # noqa: BLE001 (any failure to reach incidents is shown as "try again")
        outcome = "failed"
    doc = sources.page_document() or {}
    if not any(c["id"] == component_id for c in doc.get("components") or []):
        return redirect(f"/?reported={outcome}", 303)
    return redirect(f"/components/{component_id}?reported={outcome}#report", 303)
