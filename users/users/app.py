"""users application factory."""
from __future__ import annotations

from polystatus.app_factory import create_service_app
from polystatus.auth import ApiKeyVerifier
from polystatus.redis_store import get_redis

from . import settings
from .apikeys.views import local_introspector
from .auth.keys import KeyRing
from .auth.verifier import LocalVerifier
from .links.mailer import Mailer


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
    app.extensions["api_key_verifier"] = ApiKeyVerifier(local_introspector(app), ttl_s=app.config["API_KEY_CACHE_TTL"])
    app.extensions.setdefault("mailer", Mailer(app.config["COMMS_URL"], ring, issuer=app.config["JWT_ISSUER"],
                                               timeout=app.config["OUTBOUND_TIMEOUT"]))

    from .accounts.views import bp as accounts_bp
    from .apikeys.views import bp as apikeys_bp
    from .audit.views import bp as audit_bp
    from .auth.views import bp as auth_bp
    from .follows.views import bp as follows_bp
    from .links.views import bp as links_bp
    from .passkeys.views import bp as passkeys_bp
    from .readtokens.views import bp as readtokens_bp
    from .sso.views import bp as sso_bp
    from .totp.views import bp as totp_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(apikeys_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(follows_bp)
    app.register_blueprint(links_bp)
    app.register_blueprint(passkeys_bp)
    app.register_blueprint(readtokens_bp)
    app.register_blueprint(sso_bp)
    app.register_blueprint(totp_bp)
    return app
