"""The page's JSON and the Statuspage documents on the fast transport (polystatus.fastpath):
what every visitor's browser polls during an outage. Only a fresh cached copy already
rendered is answered here; a miss, an expired copy or anything to refresh goes to the Flask
routes, which refresh the cache (once, under its lock) as always; during that refresh the
other requests get the copy in hand."""
from __future__ import annotations

from . import views

STATUSPAGE = "/api/v2/"


def install(fast, app) -> None:
    cache, config = app.extensions["page_cache"], app.config

    def answer(request, key: str):
        found = cache.peek(key)
        if found is None or "body" not in found[0].rendered:
            return None  # a miss or an expired copy: Flask refreshes it
        entry, age = found
        rendered = entry.rendered
        headers = views.cache_headers(rendered["etag"], age, config["PAGE_CACHE_TTL"])
        if rendered["etag"] in (request.header("If-None-Match") or ""):
            return 304, list(headers.items()), b""
        return 200, [("Content-Type", rendered["content_type"]), *headers.items()], rendered["body"]

    def statuspage(request):
        path = request.path[1:]
        if not path.endswith(".json"):
            return None
        return answer(request, f"pass:{path}")

    fast.add("GET", "/api/page.json", lambda request: answer(request, "page"))
    fast.add("GET", STATUSPAGE, statuspage, label="/api/v2/<path:path>", prefix=True)
