"""incidents application factory."""
from __future__ import annotations

from polystatus.app_factory import create_service_app

from . import settings


def create_app(config: dict | None = None):
    app = create_service_app(
        __name__, service="incidents", title="PolyStatus incidents",
        description="Components, incidents with timelines, maintenances, DownDetector-style problem "
                    "reports, and the Statuspage v2 read API with RSS/Atom history feeds.",
        settings=settings.load(), config=config,
    )
    from .components.views import bp as components_bp
    from .incident_templates.views import bp as templates_bp
    from .incidents.views import bp as incidents_bp
    from .maintenances.views import bp as maintenances_bp
    from .reports.views import bp as reports_bp
    from .statuspage.views import bp as statuspage_bp

    for blueprint in (components_bp, incidents_bp, templates_bp, maintenances_bp, reports_bp, statuspage_bp):
        app.register_blueprint(blueprint)
    from polystatus import page_access

    # A private page's Statuspage API and feeds need a token here too (the edge serves this port).
    page_access.init_app(app, paths=r"/api/v2/|/history\.(rss|atom)$")

    from polystatus import fastpath

    from .reports import fastpath as reports_fast

    fast = fastpath.install(app)
    if fast is not None:
        reports_fast.install(fast, app)
    return app
