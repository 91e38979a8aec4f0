"""frontend application factory."""
from __future__ import annotations

import httpx
from polystatus import outbound
from polystatus.app_factory import create_service_app
from polystatus.redis_store import get_redis

from . import settings
from .page.cache import PageCache

# No inline script anywhere; styles from our own files (inline style attributes are allowed
# only for the chart's computed heights).
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


def create_app(config: dict | None = None):
    app = create_service_app(
        __name__, service="frontend", title="PolyStatus frontend",
        description="The public status page, the staff console and the admin pages; one origin for the "
                    "browser, with a short-lived cache in front of the services.",
        settings=settings.load(), config=config,
    )
    app.extensions["backend_http"] = outbound.client(timeout=app.config["BACKEND_TIMEOUT"], retries=0,
                                                     limits=httpx.Limits(max_connections=100))
    with app.app_context():
        app.extensions["page_cache"] = PageCache(get_redis(), app.config["PAGE_CACHE_TTL"], app.config["PAGE_STALE_TTL"])

    @app.after_request
    def _page_headers(response):
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    from .access import views as access
    from .accounts.views import bp as accounts_bp
    from .page.views import bp as page_bp
    from .proxy.views import bp as proxy_bp
    from .public.views import bp as public_bp

    app.register_blueprint(page_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(proxy_bp)
    app.register_blueprint(accounts_bp)
    access.init_app(app)
    # No fast transport here (polystatus.fastpath): in front of the frontend, the edge answers
    # the cached documents itself and lets about one request per second and document through
    # (bench/edge.py), so a faster way to answer them here would save nothing.
    return app
