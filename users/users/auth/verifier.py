"""The users service verifies its own tokens from its key ring, with no HTTP round trip to
itself; same rules and error codes as polystatus.auth.TokenVerifier (EdDSA pinned)."""
from __future__ import annotations

import jwt
from polystatus.auth import ALGORITHMS, ROLES, Identity
from polystatus.errors import Unauthorized

from .keys import KeyRing


class LocalVerifier:
    def __init__(self, ring: KeyRing, issuer: str):
        self.ring = ring
        self.issuer = issuer

    def verify(self, token: str) -> Identity:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self.ring.public_keys().get(kid)
            if key is None:
                raise Unauthorized("The access token was signed by an unknown key.", code="token_invalid")
            claims = jwt.decode(token, key, algorithms=ALGORITHMS, issuer=self.issuer,
                                options={"require": ["exp", "iat", "sub", "role", "jti"]})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The access token has expired.", code="token_expired") from None
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"The access token is not valid: {exc}", code="token_invalid") from None
        if claims.get("role") not in ROLES:
            raise Unauthorized("The access token carries an unknown role.", code="token_invalid")
        return Identity(sub=str(claims["sub"]), role=claims["role"], email=claims.get("email"), claims=claims)
