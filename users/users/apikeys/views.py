"""API keys for scripts and integrations: created (the secret shown once), listed, revoked;
and the introspection other services ask (polystatus.auth.ApiKeyVerifier)."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus.auth import current_identity, require_role
from polystatus.redis_store import get_redis

from . import flows, schemas

bp = APIBlueprint("apikeys", __name__, tag="API keys")


def now():
    return current_app.config["CLOCK"].now()


@bp.post("/api-keys")
@bp.input(schemas.ApiKeyIn)
@bp.output(schemas.ApiKeyCreatedOut, status_code=201)
@bp.doc(summary="Create an API key: personal (scopes up to your role), or a service key (admins); "
                "the secret is in this answer only",
        responses={403: "A scope above the role, a service key by a non-admin, or made with an API key"})
@require_role("user", api_keys=False)
def create_key(json_data):
    answer = flows.create(get_redis(), actor=current_identity(), name=json_data["name"], scopes=json_data["scopes"],
                          kind=json_data["kind"], role=json_data["role"],
                          expires_in_days=json_data["expires_in_days"], now=now())
    return answer, 201, {"Cache-Control": "no-store"}


@bp.get("/api-keys")
@bp.output(schemas.ApiKeyListOut)
@bp.doc(summary="Your personal API keys (never their secrets)")
@require_role("user")
def my_keys():
    return {"keys": flows.mine(get_redis(), owner_id=current_identity().sub)}


@bp.get("/api-keys/all")
@bp.output(schemas.ApiKeyListOut)
@bp.doc(summary="Every API key, personal and service (admin)")
@require_role("admin")
def every_key():
    return {"keys": flows.every(get_redis())}


@bp.delete("/api-keys/<key_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Revoke an API key (its owner, or an admin); every service refuses it within API_KEY_CACHE_TTL")
@require_role("user")
def revoke_key(key_id):
    flows.revoke(get_redis(), actor=current_identity(), key_id=key_id)
    return ""


@bp.post("/auth/api-keys/introspect")
@bp.input(schemas.IntrospectIn)
@bp.output(schemas.IntrospectOut)
@bp.doc(summary="What an API key may do, for another PolyStatus service (service token)")
@require_role("service")
def introspect(json_data):
    return flows.introspect(get_redis(), secret=json_data["key"], now=now(),
                            totp_required_roles=current_app.config["TOTP_REQUIRED_ROLES"])


def local_introspector(app):
    """users checks keys from its own Redis, with no HTTP call to itself (as LocalVerifier)."""

    def introspect(secret: str) -> dict:
        return flows.introspect(get_redis(), secret=secret, now=app.config["CLOCK"].now(),
                                totp_required_roles=app.config["TOTP_REQUIRED_ROLES"])

    return introspect
