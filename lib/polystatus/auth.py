"""Verifying the access tokens that the users service issues.

Tokens are EdDSA-signed JWTs; the public keys come from the users service's JWKS URL and are
cached (PyJWKClient refetches on an unknown ``kid``, which is how key rotation reaches every
service without a restart). The algorithm is pinned, so ``alg: none`` and HS256-with-the-
public-key tricks are refused by construction.

Roles are ranked: ``admin`` > ``staff`` > ``user``. ``require_role("staff")`` admits staff and
admins. ``service`` is a separate role for service-to-service calls and is never implied by
the others (nor does it imply them).
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import jwt
from flask import current_app, g, request

from .errors import Forbidden, Unauthorized

ALGORITHMS = ["EdDSA"]
RANK = {"user": 1, "staff": 2, "admin": 3}
ROLES = tuple(RANK) + ("service",)


@dataclass(frozen=True)
class Identity:
    sub: str
    role: str
    email: str | None = None
    claims: dict = field(default_factory=dict)

    def has_role(self, *roles: str) -> bool:
        for wanted in roles:
            if wanted == "service":
                if self.role == "service":
                    return True
            elif self.role in RANK and RANK[self.role] >= RANK[wanted]:
                return True
        return False


class TokenVerifier:
    # Verified tokens are remembered for a short while: a signature check costs about as much
    # as the rest of a small request (bench/token_verification.py), and a browser or SDK sends
    # the same token many times. Trade-off accepted: a key withdrawn from the JWKS stops
    # working here up to REMEMBER_S later (the key set itself is cached five minutes anyway).
    REMEMBER_S = 60.0
    REMEMBER_MAX = 10_000

    def __init__(self, jwks_url: str, *, issuer: str | None = None, timeout: float = 5.0,
                 lifespan: float = 300):
        self.issuer = issuer
        self._verified: dict[str, tuple[Identity, float]] = {}
        self._jwks = jwt.PyJWKClient(
            jwks_url, cache_jwk_set=True, lifespan=lifespan, timeout=timeout, cooldown_duration=5,
        )

    def verify(self, token: str) -> Identity:
        now = time.time()
        remembered = self._verified.get(token)
        if remembered is not None and now < remembered[1]:
            return remembered[0]
        identity = self._verify(token)
        if len(self._verified) >= self.REMEMBER_MAX:
            self._verified.clear()  # simpler than LRU, and a full cache is rare and cheap to refill
        self._verified[token] = (identity, min(float(identity.claims["exp"]), now + self.REMEMBER_S))
        return identity

    def _verify(self, token: str) -> Identity:
        try:
            signing_key = self._jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token, signing_key.key, algorithms=ALGORITHMS, issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "role", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The access token has expired.", code="token_expired") from None
        except jwt.PyJWKClientConnectionError:
            # Fail closed: no keys, no trust. 401 rather than 503 so clients re-authenticate
            # instead of retrying a request that cannot be verified.
            raise Unauthorized("The token cannot be verified right now (key set unreachable).",
                               code="token_unverifiable") from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise Unauthorized(f"The access token is not valid: {exc}", code="token_invalid") from None
        role = claims.get("role")
        if role not in ROLES:
            raise Unauthorized("The access token carries an unknown role.", code="token_invalid")
        return Identity(sub=str(claims["sub"]), role=role, email=claims.get("email"), claims=claims)


def init_app(app) -> None:
    app.extensions["token_verifier"] = TokenVerifier(
        app.config["JWKS_URL"], issuer=app.config.get("JWT_ISSUER"),
        timeout=app.config.get("OUTBOUND_TIMEOUT", 5.0),
    )
    app.security_schemes = {"BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_identity() -> Identity | None:
    """The verified caller, or None for an anonymous request (verifies lazily, once)."""
    if "identity" not in g:
        token = bearer_token()
        g.identity = current_app.extensions["token_verifier"].verify(token) if token else None
    return g.identity


def enforce(roles: tuple[str, ...]) -> Identity:
    identity = current_identity()
    if identity is None:
        raise Unauthorized("This operation needs a bearer token.",
                           headers={"WWW-Authenticate": 'Bearer realm="polystatus"'})
    if not identity.has_role(*roles):
        raise Forbidden(f"This operation needs the role {' or '.join(roles)}.", details={"role": identity.role})
    return identity


def check_route_roles() -> None:
    """before_request: the role check runs before body validation, whatever the decorator
    order, so an anonymous caller learns nothing about a write route's schema."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    roles = getattr(view, "_polystatus_roles", None)
    if roles and request.method != "OPTIONS":
        enforce(roles)


def require_role(*roles: str):
    """Refuse the request with 401 (no/invalid token) or 403 (role too low)."""
    for role in roles:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            enforce(roles)
            return view(*args, **kwargs)

        # OpenAPI: document the scheme and the two auth failures on every protected route.
        spec = getattr(wrapper, "_spec", None) or {}
        spec = dict(spec)
        spec.setdefault("security", [{"BearerAuth": []}])
        wrapper._spec = spec
        wrapper._polystatus_roles = roles
        return wrapper

    return decorator


class ServiceTokenSource:
    """Service-to-service calls: a ``service``-role token from the users service, cached.

    The client credentials (``SERVICE_CLIENT_ID`` / ``SERVICE_CLIENT_SECRET``) are exchanged at
    ``POST {users_url}/auth/token`` (OAuth2 client-credentials shape) and the token is reused
    until shortly before it expires.
    """

    def __init__(self, users_url: str, client_id: str, client_secret: str, *, timeout: float = 5.0):
        import threading

        self.users_url = users_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        import time

        from . import outbound

        with self._lock:
            if self._token and time.time() < self._expires_at - 30:
                return self._token
            with outbound.client(timeout=self.timeout) as http:
                response = http.post(f"{self.users_url}/auth/token", json={
                    "grant_type": "client_credentials", "client_id": self.client_id,
                    "client_secret": self.client_secret,
                })
            response.raise_for_status()
            body = response.json()
            self._token = body["access_token"]
            self._expires_at = time.time() + int(body.get("expires_in", 300))
            return self._token

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token()}"}
