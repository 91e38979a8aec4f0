"""The pages, and the one aggregated JSON the public page is drawn from."""
from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor

import httpx
from apiflask import APIBlueprint
from flask import Response, current_app, render_template, request

from . import service

bp = APIBlueprint("page", __name__, tag="Page")
log = logging.getLogger("frontend.page")
PAGES = {"/": "status", "/history": "history", "/login": "login", "/console": "console", "/admin": "admin"}
HTML = {200: {"description": "a page", "content": {"text/html": {"schema": {"type": "string"}}}}}
_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="backend")


def shell(page: str, **context):
    return render_template("page.html", page=page, **context)


@bp.get("/")
@bp.doc(summary="The public status page", responses=HTML)
def status_page():
    return shell("status")


@bp.get("/history")
@bp.doc(summary="Incident history", responses=HTML)
def history_page():
    return shell("history")


@bp.get("/login")
@bp.doc(summary="Sign in", responses=HTML)
def login_page():
    return shell("login")


@bp.get("/console")
@bp.doc(summary="The staff console", responses=HTML)
def console_page():
    return shell("console")


@bp.get("/admin")
@bp.doc(summary="The admin pages", responses=HTML)
def admin_page():
    return shell("admin")


@bp.get("/components/<component_id>")
@bp.doc(summary="One component: reports against baseline, uptime", responses=HTML)
def component_page(component_id):
    return shell("component", item_id=component_id)


@bp.get("/incidents/<incident_id>")
@bp.doc(summary="One incident with its timeline", responses=HTML)
def incident_page(incident_id):
    return shell("incident", item_id=incident_id)


def fetch_json(http: httpx.Client, method: str, url: str, **kwargs):
    response = http.request(method, url, **kwargs)
    response.raise_for_status()
    return response.json()


def gather(config: dict, http: httpx.Client) -> dict:
    """Ask every backend in parallel; a backend that fails is named in `missing`."""
    backends = config["BACKENDS"]
    flag_headers = {"X-API-Key": config["FLAGS_API_KEY"]} if config["FLAGS_API_KEY"] else {}
    first = {
        "summary": ("incidents", "GET", f"{backends['incidents']}/api/v2/summary.json", {}),
        "components": ("incidents", "GET", f"{backends['incidents']}/components", {}),
        "providers": ("csp-status", "GET", f"{backends['csp-status']}/providers", {}),
        "checks": ("csp-status", "GET", f"{backends['csp-status']}/checks", {}),
        "banners": ("comms", "GET", f"{backends['comms']}/banners/active", {}),
        "flags": ("feature-flags", "POST", f"{backends['feature-flags']}/ofrep/v1/evaluate/flags",
                  {"json": {"context": {"targetingKey": "public-page"}}, "headers": flag_headers}),
    }
    answers, missing = {}, []

    def run(jobs: dict) -> None:
        futures = {name: _pool.submit(fetch_json, http, method, url, **kwargs)
                   for name, (_, method, url, kwargs) in jobs.items()}
        for name, future in futures.items():
            try:
                answers[name] = future.result()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("backend %s did not answer for %s: %s", jobs[name][0], name, exc)
                missing.append(jobs[name][0])

    run(first)
    ids = [c["id"] for c in (answers.get("components") or {}).get("components", [])]
    second = {}
    for cid in ids:
        second[f"uptime:{cid}"] = ("incidents", "GET", f"{backends['incidents']}/components/{cid}/uptime?days=90", {})
        second[f"reports:{cid}"] = ("incidents", "GET", f"{backends['incidents']}/components/{cid}/reports", {})
    run(second)
    return service.assemble(answers, missing)


def cache_headers(etag: str, age: float, ttl) -> dict:
    return {"ETag": etag, "Cache-Control": f"public, max-age={int(ttl)}, stale-while-revalidate=30",
            "Age": str(int(age))}


def conditional(entry, age: float, render) -> Response:
    """A cached answer with the headers that let browsers and CDNs share the load: a strong
    ETag for cheap revalidation (304), and stale-while-revalidate for the spike. ``render``
    turns the entry's value into (text, content type), once per entry."""
    if "body" not in entry.rendered:
        text, content_type = render(entry.value)
        entry.rendered.update(body=text.encode(), content_type=content_type,
                              etag='"' + hashlib.sha256(text.encode()).hexdigest()[:24] + '"')
    etag = entry.rendered["etag"]
    headers = cache_headers(etag, age, current_app.config["PAGE_CACHE_TTL"])
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(entry.rendered["body"], content_type=entry.rendered["content_type"], headers=headers)


def cached_json(key: str, produce) -> Response:
    entry, age = current_app.extensions["page_cache"].entry(key, produce)
    return conditional(entry, age, lambda value: (json.dumps(value, separators=(",", ":")), "application/json"))


@bp.get("/api/page.json")
@bp.doc(summary="Everything the public page shows, from a short-lived cache (ETag, stale-while-revalidate)",
        responses={200: {"description": "page document", "content": {"application/json": {"schema": {"type": "object"}}}},
                   304: {"description": "not modified"}})
def page_json():
    config = current_app.config
    http = current_app.extensions["backend_http"]
    cache = current_app.extensions["page_cache"]

    def produce():
        previous = cache.local.get("page")
        return service.fill_from(previous.value if previous else None, gather(config, http))

    return cached_json("page", produce)
