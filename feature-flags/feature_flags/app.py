"""feature-flags application factory."""
from __future__ import annotations

from polystatus import ratelimits
from polystatus.app_factory import create_service_app

from . import settings
from .flags.cache import FlagCache


def create_app(config: dict | None = None):
    app = create_service_app(
        __name__, service="feature-flags", title="PolyStatus feature-flags",
        description="Flags with targeting and gradual rollout, evaluated over OFREP by any OpenFeature SDK.",
        settings=settings.load(), config=config,
    )
    app.extensions["flag_cache"] = FlagCache(app.config["FLAG_CACHE_S"])
    app.extensions["ofrep_limiter"] = ratelimits.ReservedLimiter()
    from .flags.views import bp as flags_bp
    from .ofrep.views import bp as ofrep_bp

    app.register_blueprint(flags_bp)
    app.register_blueprint(ofrep_bp)

    from polystatus import fastpath

    from .ofrep import fastpath as ofrep_fast

    fast = fastpath.install(app)
    if fast is not None:
        ofrep_fast.install(fast, app)
    return app
