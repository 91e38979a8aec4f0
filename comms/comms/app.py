"""comms application factory."""
from __future__ import annotations

from polystatus.app_factory import create_service_app

from . import settings
from .deliveries.people import People


def create_app(config: dict | None = None):
    app = create_service_app(
        __name__, service="comms", title="PolyStatus comms",
        description="Banners, announcements, and notifications by email, Slack, Teams, RocketChat and "
                    "webhooks, delivered exactly once per person, retried, acknowledged.",
        settings=settings.load(), config=config,
    )
    app.extensions["people"] = People(app.config["USERS_URL"], app.config["SERVICE_CLIENT_ID"],
                                      app.config["SERVICE_CLIENT_SECRET"], timeout=app.config["OUTBOUND_TIMEOUT"])
    from .banners.views import bp as banners_bp
    from .channels.views import bp as channels_bp
    from .deliveries.views import bp as deliveries_bp
    from .messages.views import bp as messages_bp
    from .subscribers.views import bp as subscribers_bp

    for blueprint in (banners_bp, channels_bp, deliveries_bp, messages_bp, subscribers_bp):
        app.register_blueprint(blueprint)
    return app
