"""Ed25519 signing keys: created once and shared by every replica through Redis, or given
through SIGNING_KEY / SIGNING_KEY_FILE (then rotation is the operator's job)."""
from __future__ import annotations

import time

import jwt
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import service, storage


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_pem(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("SIGNING_KEY must be an Ed25519 private key (PEM)")
    return key


class KeyRing:
    def __init__(self, r: redis.Redis, *, configured_pem: str | None, access_ttl_s: int):
        self.r = r
        self.access_ttl_s = access_ttl_s
        self.configured = load_pem(configured_pem) if configured_pem else None

    def signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        if self.configured is not None:
            return service.kid_for(_raw_public(self.configured)), self.configured
        kid = storage.current_kid(self.r)
        if kid is None:
            key = Ed25519PrivateKey.generate()
            new_kid = service.kid_for(_raw_public(key))
            storage.add_key(self.r, new_kid, _pem(key), time.time())
            if not storage.make_current_if_none(self.r, new_kid):
                storage.drop_key(self.r, new_kid)  # another replica won the race
            kid = storage.current_kid(self.r)
        return kid, load_pem(storage.keys(self.r)[kid]["pem"])

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        if self.configured is not None:
            return {service.kid_for(_raw_public(self.configured)): self.configured.public_key()}
        self.signing_key()  # make sure one exists
        entries = storage.keys(self.r)
        kids = service.published_kids(entries, now=time.time(), access_ttl_s=self.access_ttl_s)
        return {kid: load_pem(entries[kid]["pem"]).public_key() for kid in kids}

    def jwks(self) -> dict:
        documents = []
        for kid, public in self.public_keys().items():
            jwk = jwt.algorithms.OKPAlgorithm.to_jwk(public, as_dict=True)
            jwk.update({"kid": kid, "alg": service.ALGORITHM, "use": "sig"})
            documents.append(jwk)
        return {"keys": documents}

    def rotate(self) -> str:
        if self.configured is not None:
            raise RuntimeError("keys come from SIGNING_KEY; rotate them there")
        key = Ed25519PrivateKey.generate()
        kid = service.kid_for(_raw_public(key))
        storage.rotate(self.r, kid, _pem(key), time.time())
        return kid

    def sign(self, claims: dict) -> str:
        kid, key = self.signing_key()
        return jwt.encode(claims, key, algorithm=service.ALGORITHM, headers={"kid": kid})
