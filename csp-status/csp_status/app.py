"""csp-status application factory."""
from __future__ import annotations

from polystatus.app_factory import create_service_app

from . import settings


def create_app(config: dict | None = None):
    app = create_service_app(
        __name__, service="csp-status", title="PolyStatus csp-status",
        description="Official status of cloud providers, checks of your own endpoints from several "
                    "vantage points, and heartbeats from your jobs.",
        settings=settings.load(), config=config,
    )
    from .agents.views import bp as agents_bp
    from .checks.views import bp as checks_bp
    from .heartbeats import flows as heartbeat_flows
    from .heartbeats import storage as heartbeat_storage
    from .heartbeats.management_api import bp as healthchecks_api_bp
    from .heartbeats.views import bp as heartbeats_bp
    from .providers.views import bp as providers_bp

    app.register_blueprint(providers_bp)
    app.register_blueprint(checks_bp)
    app.register_blueprint(heartbeats_bp)
    app.register_blueprint(healthchecks_api_bp)
    app.extensions["heartbeat_scripts"] = heartbeat_storage.Scripts(app.extensions["redis"])
    app.extensions["heartbeat_cache"] = heartbeat_flows.ConfigCache(app.config["PING_SLUG_CACHE_S"])
    app.register_blueprint(agents_bp)
    from polystatus import page_access

    # A private page's badges need a token here too (the edge serves this port).
    page_access.init_app(app, paths=r"/checks/[^/]+/badge\.svg$")
    app.security_schemes = {**app.security_schemes,
                            "AgentToken": {"type": "http", "scheme": "bearer", "description": "an agent's token"}}

    from polystatus import fastpath

    from .heartbeats import fastpath as heartbeats_fast

    fast = fastpath.install(app)
    if fast is not None:
        heartbeats_fast.install(fast, app)
    return app
