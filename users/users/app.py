"""users application factory."""
from __future__ import annotations

from polystatus.app_factory import create_service_app
from polystatus.redis_store import get_redis

from . import settings
from .auth.keys import KeyRing
from .auth.verifier import LocalVerifier


def create_app(config: dict | None = None):
    app = create_service_app(
        __name__, service="users", title="PolyStatus users",
        description="Accounts, identity (EdDSA JWT + JWKS), roles, and people following incidents.",
        settings=settings.load(), config=config,
    )
    with app.app_context():
        ring = KeyRing(get_redis(), configured_pem=app.config["SIGNING_KEY"],
                       access_ttl_s=app.config["ACCESS_TOKEN_TTL"])
    app.extensions["key_ring"] = ring
    # users verifies its own tokens from its key ring: no HTTP call to itself.
    app.extensions["token_verifier"] = LocalVerifier(ring, app.config["JWT_ISSUER"])

    from .accounts.views import bp as accounts_bp
    from .auth.views import bp as auth_bp
    from .follows.views import bp as follows_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(follows_bp)
    return app
