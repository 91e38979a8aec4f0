"""The OpenID Connect provider, through authlib: its discovery document and keys, the
authorization URL (authorization code flow with PKCE S256, state and nonce), the code
exchange, and the ID token's verification against the provider's JWKS (signature, issuer,
audience, expiry, nonce, at_hash).

Why authlib's base client rather than its Flask integration: the Flask one keeps the state in
Flask's cookie session, which this service does not have (its replicas share Redis, not a
cookie secret); our flows keep the state in Redis and bind it to the browser with a cookie of
their own. Everything protocol-shaped is authlib's.
"""
from __future__ import annotations

import threading
import time

import requests
from authlib.integrations.base_client import BaseApp, OAuth2Mixin, OAuthError, OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session
from joserfc.errors import JoseError
from polystatus.errors import Unauthorized, Unavailable
from polystatus.outbound import USER_AGENT

METADATA_TTL_S = 3600  # the discovery document and keys are read again hourly (and on an unknown key id)


class ProviderError(Unauthorized):
    """The provider refused or sent something that does not verify."""


class _App(OAuth2Mixin, OpenIDMixin, BaseApp):
    # authlib's requests session: its httpx one is deprecated in favour of the httpx2 package
    client_cls = OAuth2Session


class Provider:
    """One per process (the app's extensions): the metadata is cached between sign-ins."""

    def __init__(self, config: dict):
        self.config = config
        self.lock = threading.Lock()
        self.app = None
        self.loaded_at = 0.0

    def _client(self) -> _App:
        with self.lock:
            if self.app is None or time.monotonic() - self.loaded_at > METADATA_TTL_S:
                config = self.config
                self.app = _App(
                    None, name="sso", client_id=config["OIDC_CLIENT_ID"], client_secret=config["OIDC_CLIENT_SECRET"],
                    server_metadata_url=config["OIDC_DISCOVERY_URL"], user_agent=USER_AGENT,
                    client_kwargs={"scope": config["OIDC_SCOPES"], "code_challenge_method": "S256",
                                   "default_timeout": config["OUTBOUND_TIMEOUT"]})
                self.loaded_at = time.monotonic()
            return self.app

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (requests.RequestException, ValueError, KeyError, RuntimeError) as exc:
            with self.lock:
                self.app = None  # read the discovery document again next time
            raise Unavailable(f"The identity provider could not be reached ({what}).", code="sso_unavailable",
                              details={"reason": type(exc).__name__}) from None

    def authorization(self, *, redirect_uri: str, state: str, nonce: str, code_verifier: str) -> str:
        """The provider's URL to send the browser to."""
        answer = self._call("discovery", self._client().create_authorization_url, redirect_uri=redirect_uri,
                            state=state, nonce=nonce, code_verifier=code_verifier)
        return answer["url"]

    def identity(self, *, code: str, redirect_uri: str, code_verifier: str,
                 nonce: str) -> tuple[dict, dict | None, str]:
        """(the verified ID token's claims, the userinfo answer or None, the ID token itself: the
        hint that ends this session at the provider later) for an authorization code."""
        app = self._client()
        try:
            token = self._call("token", app.fetch_access_token, redirect_uri=redirect_uri, code=code,
                               code_verifier=code_verifier)
            if "id_token" not in token:
                raise ProviderError("The identity provider sent no ID token.", code="sso_failed")
            claims = self._call("keys", app.parse_id_token, token, nonce=nonce)
        except (OAuthError, JoseError) as exc:
            raise ProviderError("The identity provider's answer could not be verified.", code="sso_failed",
                                details={"reason": getattr(exc, "error", None) or type(exc).__name__}) from None
        userinfo = None
        if app.load_server_metadata().get("userinfo_endpoint"):
            try:
                userinfo = dict(app.userinfo(token=token))
            except (requests.RequestException, OAuthError, ValueError):
                userinfo = None  # the ID token alone still signs in; groups may then be missing
        return dict(claims), userinfo, token["id_token"]

    def end_session_endpoint(self) -> str | None:
        """The provider's RP-Initiated Logout endpoint, when its discovery document names one
        (None too when the provider cannot be reached: signing out here must not wait on it)."""
        try:
            endpoint = self._call("discovery", self._client().load_server_metadata).get("end_session_endpoint")
        except Unavailable:
            return None
        return endpoint if isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")) else None

    @staticmethod
    def of(app) -> Provider:
        """The app's one provider (kept in its extensions, so the metadata is cached between requests)."""
        found = app.extensions.get("oidc_provider")
        if found is None:
            found = app.extensions["oidc_provider"] = Provider(app.config)
        return found
