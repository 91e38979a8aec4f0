"""What the public pages read from the services, through the frontend's short-lived cache
(page.cache.PageCache): a spike of visitors reaches each backend about once per TTL, and a
backend that is down leaves the last copy on the page (up to PAGE_STALE_TTL)."""
from __future__ import annotations

from urllib.parse import quote, urlencode

import httpx
from flask import current_app

from ..page.views import fetch_json, page_producer


class Missing(Exception):
    """The backend says the thing does not exist (404)."""


class Unavailable(Exception):
    """The backend did not answer, and nothing is cached."""


def _cached(key: str | None, service_name: str, path: str):
    base = current_app.config["BACKENDS"][service_name]
    http = current_app.extensions["backend_http"]

    def produce():
        return fetch_json(http, "GET", f"{base}{path}")

    try:
        if key is None:
            return produce()
        return current_app.extensions["page_cache"].get(key, produce)[0]
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 404:
            raise Missing(path) from None
        raise Unavailable(service_name) from None
    except (httpx.HTTPError, ValueError):
        raise Unavailable(service_name) from None


def page_entry():
    """(cache entry, age) of the page document, or None (as page_document)."""
    try:
        return current_app.extensions["page_cache"].entry("page", page_producer())
    except (httpx.HTTPError, ValueError):
        return None


def page_document() -> dict | None:
    """The public page's document (the same as /api/page.json), or None when no backend
    answers and nothing is cached."""
    try:
        return current_app.extensions["page_cache"].get("page", page_producer())[0]
    except (httpx.HTTPError, ValueError):
        return None


def incident(incident_id: str) -> dict:
    return _cached(f"incident:{incident_id}", "incidents", f"/incidents/{quote(incident_id, safe='')}")


def reports(component_id: str) -> dict:
    return _cached(f"reports:{component_id}", "incidents", f"/components/{quote(component_id, safe='')}/reports")


def incidents(filters: dict, per_page: int = 20) -> dict:
    """A page of the history. Searches (free text) are not cached: they are too many to keep."""
    query = {"page": filters.get("page", 1), "per_page": per_page}
    for name in ("component", "since", "until", "q", "status"):
        if filters.get(name):
            query[name] = filters[name]
    key = None if filters.get("q") else "history:" + urlencode(sorted(query.items()))
    return _cached(key, "incidents", "/incidents?" + urlencode(query))


def check_results(check_id: str, limit: int = 1000) -> list[dict]:
    return _cached(f"results:{check_id}", "csp-status", f"/checks/{quote(check_id, safe='')}/results?limit={limit}")["results"]
