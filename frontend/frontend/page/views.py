"""The pages, and the one aggregated JSON the public page is drawn from."""
from __future__ import annotations

import hashlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor

import httpx
from apiflask import APIBlueprint, Schema
from apiflask.fields import String
from apiflask.validators import Length
from flask import Response, current_app, redirect, render_template, request
from polystatus.clock import isoformat
from polystatus.text import Text, clean_tree, dumps

from . import language, richtext, service

bp = APIBlueprint("page", __name__, tag="Page")
log = logging.getLogger("frontend.page")
PAGES = {"/": "status", "/history": "history", "/login": "login", "/console": "console", "/admin": "admin"}
# Public pages hold nothing personal (what depends on the visitor is added by their script),
# so a browser or an edge cache may keep them a few seconds.
PUBLIC_HTML_CACHE = "public, max-age=5, stale-while-revalidate=30"
HTML = {200: {"description": "a page", "content": {"text/html": {"schema": {"type": "string"}}}}}
_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="backend")


# The dictionary (frontend/i18n/<area>.json) and stylesheet (static/css/<area>.css) each page
# takes besides the common ones; a page not named here uses its own name as its area.
AREAS = {"status": "public", "component": "public", "incident": "public", "history": "public", "check": "public",
         "notfound": "public", "login": "account",
         # the account pages and the pages emailed links open (frontend/accounts/views.py)
         **dict.fromkeys(("signup", "signup-confirm", "reset", "account", "subscribe", "subscribe-confirm",
                          "unsubscribe", "ack", "page-access"), "account")}
# Dictionaries a page takes before its own: the console and the admin share the staff words; the
# account and the admin the words of API keys (static/js/keys.js).
SHARED_AREAS = {"console": ("staff",), "admin": ("staff", "keys"), "account": ("keys",)}


def shell(page: str, template: str = "page.html", **context):
    """A page: the layout, in the visitor's language, with the page's dictionary embedded for
    its script (static/js/pages/<page>.js)."""
    area = AREAS.get(page, page)
    t = language.Translator(language.current(), (*SHARED_AREAS.get(page, ()), area))
    response = current_app.make_response(render_template(
        template, page=page, area=area, t=t, lang=t.lang, strings=t.strings,
        has_stylesheet=_has_stylesheet(area), **context))
    response.vary.update(("Cookie", "Accept-Language"))
    return response


def _has_stylesheet(area: str) -> bool:
    return os.path.exists(os.path.join(current_app.static_folder, "css", f"{area}.css"))


@bp.get("/lang/<code>")
@bp.doc(summary="Switch the pages' language (a cookie), then go back", responses={303: {"description": "back to `next` (a path on this site), the cookie set"}})
def switch_language(code):
    if code not in language.LANGUAGES:
        code = "en"
    target = request.args.get("next", "/")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    response = redirect(target, 303)
    response.set_cookie(language.COOKIE, code, max_age=365 * 86400, samesite="Lax", secure=request.is_secure)
    return response


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


class PreviewIn(Schema):
    text = Text(required=True, validate=Length(max=50000))


class PreviewOut(Schema):
    html = String(metadata={"description": "sanitised HTML, as the public pages show the text"})


@bp.post("/preview/markdown")
@bp.input(PreviewIn)
@bp.output(PreviewOut)
@bp.doc(summary="Markdown as the public pages will show it (the console's preview); changes nothing")
def markdown_preview(json_data):
    # The one renderer (page/richtext.py) the public pages use, so the preview cannot differ
    # from what visitors read; it holds no state and reads no cookie, so it needs no session.
    return {"html": str(richtext.render(json_data["text"]))}


def fetch_json(http: httpx.Client, method: str, url: str, **kwargs):
    """A backend's answer, its text cleaned (issue 21). Every read the pages are drawn from comes
    through here, so a name or a banner stored before the text rules (a control, an unpaired
    surrogate, from an older backend or straight into its Redis) cannot reach a template or the
    page document: rendered, it would fail to encode and take the page down for every visitor."""
    response = http.request(method, url, **kwargs)
    response.raise_for_status()
    return clean_tree(response.json())


def private_reads(config: dict):
    """What gives the frontend's backend reads a token when the page is private (incidents and
    csp-status then refuse their page documents to a caller without one): its service token."""
    from polystatus.page_access import is_private

    source = current_app.extensions["read_tokens"].source if is_private(config) else None
    return source.headers if source is not None else dict


def gather(config: dict, http: httpx.Client, auth=dict) -> dict:
    """Ask every backend in parallel; a backend that fails is named in `missing`. ``auth()``
    gives the headers of the private page's documents (see private_reads)."""
    backends = config["BACKENDS"]
    flag_headers = {"X-API-Key": config["FLAGS_API_KEY"]} if config["FLAGS_API_KEY"] else {}
    try:
        private = auth()
    except httpx.HTTPError:
        private = {}  # users away: the summary is refused and named missing, like any backend down
    first = {
        "summary": ("incidents", "GET", f"{backends['incidents']}/api/v2/summary.json", {"headers": private}),
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


STALE_WARNING = '110 - "Response is Stale"'


def cache_headers(etag: str, age: float, ttl) -> dict:
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={int(ttl)}, stale-while-revalidate=30",
               "Age": str(int(age))}
    if age >= ttl:
        # Past its freshness (a refresh is under way, or the backends are down): said the way
        # HTTP caches say it (RFC 7234's Warning 110), as the edge does for its own copies.
        headers["Warning"] = STALE_WARNING
    return headers


def conditional(entry, age: float, render) -> Response:
    """A cached answer with the headers that let browsers and CDNs share the load: a strong
    ETag for cheap revalidation (304), and stale-while-revalidate for the spike. ``render``
    turns the entry's value into (text, content type), once per entry."""
    if "body" not in entry.rendered:
        text, content_type = render(entry.value)
        entry.rendered.update(body=text.encode(), content_type=content_type,
                              etag='"' + hashlib.sha256(text.encode()).hexdigest()[:24] + '"')
    etag = entry.rendered["etag"]
    headers = cache_headers(etag, age, current_app.extensions["page_cache"].ttl)
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(entry.rendered["body"], content_type=entry.rendered["content_type"], headers=headers)


def cached_json(key: str, produce) -> Response:
    entry, age = current_app.extensions["page_cache"].entry(key, produce)
    return conditional(entry, age, lambda value: (dumps(value, separators=(",", ":")), "application/json"))


@bp.get("/api/page.json")
@bp.doc(summary="Everything the public page shows, from a short-lived cache (ETag, stale-while-revalidate)",
        responses={200: {"description": "page document", "content": {"application/json": {"schema": {"type": "object"}}}},
                   304: {"description": "not modified"}})
def page_json():
    return cached_json("page", page_producer())


def page_producer():
    """What makes the page document anew for the cache: every backend asked, and the last known
    sections kept for a backend that is down (the public pages render from the same copy)."""
    config = current_app.config
    http = current_app.extensions["backend_http"]
    cache = current_app.extensions["page_cache"]
    auth = private_reads(config)

    def produce():
        previous = cache.local.get("page")
        document = service.fill_from(previous.value if previous else None, gather(config, http, auth))
        # When this copy was made, so that the page can tell a visitor it may be out of date
        # when what reaches the browser is an old copy (the edge serving it while everything
        # behind it is down).
        document["generated_at"] = isoformat(config["CLOCK"].now())
        document["outdated_after"] = config["PAGE_OUTDATED_AFTER"]
        return document

    return produce
