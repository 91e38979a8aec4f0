"""Verifying the access tokens that the users service issues.

Tokens are EdDSA-signed JWTs; the public keys come from the users service's JWKS URL and are
cached (PyJWKClient refetches on an unknown ``kid``, which is how key rotation reaches every
service without a restart). The algorithm is pinned, so ``alg: none`` and HS256-with-the-
public-key tricks are refused by construction.

Roles are ranked: ``admin`` > ``staff`` > ``user``. ``require_role("staff")`` admits staff and
admins. ``service`` is a separate role for service-to-service calls and is never implied by
the others (nor does it imply them).

API keys (``psk_...``, issued by users for scripts) are accepted as ``Authorization: Bearer``
or ``X-Api-Key`` (only a value starting ``psk_``: csp-status's Healthchecks API reads its own
project keys from ``X-Api-Key`` and must keep doing so). A key becomes an :class:`Identity`
with its owner's current role when it holds the scope this request needs on this service
(``<service>:read`` for GET/HEAD, ``<service>:write`` otherwise; write includes read), and
with no role at all otherwise (403 ``scope_missing`` on a protected route).
"""
from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt
from flask import current_app, g, request

from . import ratelimits, settings
from .errors import STORAGE_RETRY_AFTER_S, Forbidden, ServiceError, Unauthorized
from .roles import API_KEY_PREFIX, KEY_SERVICES, RANK, READ_METHODS, ROLES, SCOPES, scope_needed  # noqa: F401 (re-exported)

ALGORITHMS = ["EdDSA"]


def scope_grants(scopes, needed: str) -> bool:
    """A key's scopes allow ``needed``: the scope itself, or write where read is needed."""
    service, _, access = needed.partition(":")
    return needed in scopes or (access == "read" and f"{service}:write" in scopes)


@dataclass(frozen=True)
class Identity:
    sub: str
    role: str
    email: str | None = None
    claims: dict = field(default_factory=dict)
    # An API key without the scope this request needs: it passes no role check here.
    missing_scope: str | None = None

    def has_role(self, *roles: str) -> bool:
        if self.missing_scope:
            return False
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
            # Fail closed: no keys, no trust. But say 503 + Retry-After, not 401: the token may
            # well be good, and the key set is away only while users is (a restart, a Redis
            # failover); signing in again would need users too.
            raise ServiceError("The token cannot be verified right now (key set unreachable); try again shortly.",
                               code="token_unverifiable",
                               headers={"Retry-After": str(STORAGE_RETRY_AFTER_S)}).with_status(503) from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise Unauthorized(f"The access token is not valid: {exc}", code="token_invalid") from None
        role = claims.get("role")
        if role not in ROLES:
            raise Unauthorized("The access token carries an unknown role.", code="token_invalid")
        return Identity(sub=str(claims["sub"]), role=role, email=claims.get("email"), claims=claims)


class ApiKeyVerifier:
    """API keys, checked by asking users (``introspect(key) -> answer``) and remembering the
    answer ``ttl_s`` seconds (good and bad alike).

    Why a cache and not a call per request: a script may send hundreds of requests a minute,
    and asking users each time would put it on every request's path (latency, and an outage of
    users taking every key-authenticated call down). Why a short one: revoking a key, deleting
    its owner or lowering their role must reach every service soon; ``ttl_s`` (at most 60 s,
    API_KEY_CACHE_TTL) is that bound. users records "last used" when it is asked, so that
    write happens at most once per key, service and replica per ``ttl_s``, not per request.

    The answer (users/users/apikeys): ``{"active": false, "reason": code}`` or ``{"active":
    true, "key_id", "sub", "role", "email", "scopes", "kind", "expires_in"}``; ``expires_in`` is
    relative (seconds, or null), so this service's clock need not agree with users's.
    """

    REMEMBER_MAX = 10_000

    def __init__(self, introspect: Callable[[str], dict], *, ttl_s: float, clock: Callable[[], float] = time.monotonic):
        self.introspect = introspect
        self.ttl_s = ttl_s
        self.clock = clock
        self._answers: dict[str, tuple[dict, float]] = {}
        self._lock = threading.Lock()
        self.asked = 0  # how many times users was asked (tests and the bench read it)

    def _remembered(self, key: str) -> tuple[dict, float, dict]:
        """(users's answer, until when it holds, the identities built from it by scope needed)."""
        now = self.clock()
        remembered = self._answers.get(key)
        if remembered is not None and now < remembered[1]:
            return remembered
        answer = self.introspect(key)
        self.asked += 1
        until = now + self.ttl_s
        if answer.get("active") and answer.get("expires_in") is not None:
            until = min(until, now + float(answer["expires_in"]))
        remembered = (answer, until, {})
        with self._lock:
            if len(self._answers) >= self.REMEMBER_MAX:
                self._answers.clear()  # as TokenVerifier: rare, and cheap to refill
            self._answers[key] = remembered
        return remembered

    def answer(self, key: str) -> dict:
        return self._remembered(key)[0]

    def verify(self, key: str, *, service: str, method: str) -> Identity:
        answer, _, identities = self._remembered(key)
        needed = scope_needed(service, method)
        identity = identities.get(needed)
        if identity is None:
            # Built once per key and scope needed while the answer holds (an Identity is frozen).
            identity = identities[needed] = self._identity(answer, needed)
        return identity

    @staticmethod
    def _identity(answer: dict, needed: str) -> Identity:
        if not answer.get("active"):
            code = answer.get("reason") or "api_key_invalid"
            message = "The API key has expired." if code == "api_key_expired" else \
                "The API key is not valid (unknown or revoked)."
            raise Unauthorized(message, code=code, headers={"WWW-Authenticate": 'Bearer realm="polystatus"'})
        if answer.get("role") not in RANK:
            raise Unauthorized("The API key carries an unknown role.", code="api_key_invalid")
        scopes = tuple(answer.get("scopes") or ())
        claims = {"sub": answer["sub"], "role": answer["role"], "api_key": answer["key_id"],
                  "kind": answer.get("kind"), "scopes": list(scopes)}
        return Identity(sub=str(answer["sub"]), role=answer["role"], email=answer.get("email"), claims=claims,
                        missing_scope=None if scope_grants(scopes, needed) else needed)


class RemoteIntrospector:
    """Asks users about a key, authenticated as this service (client credentials)."""

    def __init__(self, url: str, tokens: ServiceTokenSource | None, *, timeout: float = 5.0):
        self.url = url
        self.tokens = tokens
        self.timeout = timeout

    def __call__(self, key: str) -> dict:
        from . import outbound

        unavailable = ServiceError(
            "API keys cannot be checked right now; try again shortly.", code="api_key_unverifiable",
            headers={"Retry-After": str(STORAGE_RETRY_AFTER_S)}).with_status(503)
        if self.tokens is None:
            raise ServiceError("This service has no service credentials (SERVICE_CLIENT_ID/SERVICE_CLIENT_SECRET), "
                               "so it cannot check API keys.", code="api_keys_unavailable").with_status(503)
        try:
            with outbound.client(timeout=self.timeout) as http:
                response = http.post(self.url, json={"key": key}, headers=self.tokens.headers())
        except Exception:  # noqa: BLE001 (network or token errors: fail closed, say 503, the key may be good)
            raise unavailable from None
        if response.status_code != 200:
            raise unavailable
        return response.json()


def init_app(app) -> None:
    app.extensions["token_verifier"] = TokenVerifier(
        app.config["JWKS_URL"], issuer=app.config.get("JWT_ISSUER"),
        timeout=app.config.get("OUTBOUND_TIMEOUT", 5.0),
    )
    client_id, secret = app.config.get("SERVICE_CLIENT_ID"), app.config.get("SERVICE_CLIENT_SECRET")
    introspect_url = app.config.get("API_KEY_INTROSPECT_URL") or \
        app.config["JWKS_URL"].removesuffix("/.well-known/jwks.json") + "/auth/api-keys/introspect"
    tokens = ServiceTokenSource(introspect_url.removesuffix("/auth/api-keys/introspect"), client_id, secret,
                                timeout=app.config.get("OUTBOUND_TIMEOUT", 5.0)) if client_id and secret else None
    app.extensions["api_key_verifier"] = ApiKeyVerifier(
        RemoteIntrospector(introspect_url, tokens, timeout=app.config.get("OUTBOUND_TIMEOUT", 5.0)),
        ttl_s=float(app.config.get("API_KEY_CACHE_TTL", 30.0)))
    app.security_schemes = {
        "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT or psk_ API key"},
        "PolyStatusApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                             "description": "a psk_ API key from users (also accepted as a Bearer token)"},
    }


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def api_key() -> str | None:
    """The request's API key, if it carries one (Bearer or X-Api-Key, ``psk_`` only)."""
    token = bearer_token()
    if token:
        return token if token.startswith(API_KEY_PREFIX) else None
    header = request.headers.get("X-Api-Key", "").strip()
    return header if header.startswith(API_KEY_PREFIX) else None


def caller_address() -> str:
    """Who sent this request, by address: the nearest hop of X-Forwarded-For that the trusted
    proxies (TRUSTED_PROXIES) did not add. What rate limits, the audit trail and a private
    page's IP list all mean by "the caller's address", so it is read the same way everywhere."""
    return ratelimits.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                     current_app.config.get("TRUSTED_PROXIES", list(settings.LOOPBACK)))


def current_identity() -> Identity | None:
    """The verified caller, or None for an anonymous request (verifies lazily, once)."""
    if "identity" not in g:
        key = api_key()
        if key:
            g.identity = current_app.extensions["api_key_verifier"].verify(
                key, service=current_app.config["SERVICE_NAME"], method=request.method)
        else:
            token = bearer_token()
            g.identity = current_app.extensions["token_verifier"].verify(token) if token else None
    return g.identity


def enforce(roles: tuple[str, ...], *, api_keys: bool = True) -> Identity:
    identity = current_identity()
    if identity is None:
        raise Unauthorized("This operation needs a bearer token or an API key.",
                           headers={"WWW-Authenticate": 'Bearer realm="polystatus"'})
    if not api_keys and identity.claims.get("api_key"):
        raise Forbidden("This operation needs a signed-in person; API keys are not accepted here.",
                        code="api_key_not_accepted")
    if identity.missing_scope:
        raise Forbidden(f"This API key lacks the scope {identity.missing_scope}.", code="scope_missing",
                        details={"scope": identity.missing_scope, "scopes": identity.claims.get("scopes", [])})
    if not identity.has_role(*roles):
        raise Forbidden(f"This operation needs the role {' or '.join(roles)}.", details={"role": identity.role})
    return identity


def check_route_roles() -> None:
    """before_request: the role check runs before body validation, whatever the decorator
    order, so an anonymous caller learns nothing about a write route's schema."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    roles = getattr(view, "_polystatus_roles", None)
    if roles and request.method != "OPTIONS":
        enforce(roles, api_keys=getattr(view, "_polystatus_api_keys", True))


def require_role(*roles: str, api_keys: bool = True):
    """Refuse the request with 401 (no/invalid token) or 403 (role too low, or scope missing).

    ``api_keys=False``: a signed-in person only (a JWT); an API key is refused with 403
    ``api_key_not_accepted`` whatever its scopes (making keys, for one)."""
    for role in roles:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            enforce(roles, api_keys=api_keys)
            return view(*args, **kwargs)

        # OpenAPI: document the scheme and the two auth failures on every protected route.
        spec = getattr(wrapper, "_spec", None) or {}
        spec = dict(spec)
        spec.setdefault("security", [{"BearerAuth": []}])
        wrapper._spec = spec
        wrapper._polystatus_roles = roles
        wrapper._polystatus_api_keys = api_keys
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
