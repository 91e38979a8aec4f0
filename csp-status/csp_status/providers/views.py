"""Cloud providers' official status: list, inspect, add, map, poll now."""
from __future__ import annotations

import secrets

from apiflask import APIBlueprint
from flask import current_app
from polystatus.auth import require_role
from polystatus.errors import Invalid
from polystatus.redis_store import get_redis

from .. import targets
from . import catalog, flows, schemas, storage

bp = APIBlueprint("providers", __name__, tag="Providers")


def load(provider_id: str) -> dict:
    return storage.PROVIDERS.load(get_redis(), provider_id)


@bp.get("/providers")
@bp.output(schemas.ProviderListOut)
@bp.doc(summary="Every configured provider with its current state")
def list_providers():
    r = get_redis()
    return {"providers": [flows.view(p, storage.state(r, p["id"])) for p in storage.all_providers(r)]}


@bp.get("/providers/catalog")
@bp.output(schemas.CatalogEntry(many=True))
@bp.doc(summary="Providers known out of the box (enable one with POST /providers {catalog_id})")
def provider_catalog():
    return catalog.CATALOG


@bp.post("/providers")
@bp.input(schemas.ProviderIn)
@bp.output(schemas.ProviderOut, status_code=201)
@bp.doc(summary="Add a provider: any URL with a format, or a catalog entry (admin)",
        responses={422: "Bad URL, private target or unknown catalog id"})
@require_role("admin")
def create_provider(json_data):
    entry = {}
    if json_data.get("catalog_id"):
        entry = catalog.BY_ID.get(json_data["catalog_id"])
        if entry is None:
            raise Invalid("Unknown catalog id.", details={"catalog_id": sorted(catalog.BY_ID)})
    provider = {"id": secrets.token_hex(6), "catalog_id": json_data.get("catalog_id"),
                "name": json_data.get("name") or entry.get("name"), "url": json_data.get("url") or entry.get("url"),
                "format": json_data.get("format") or entry.get("format"), "interval": json_data["interval"],
                "enabled": json_data["enabled"], "mappings": {"provider": [], "components": {}}}
    missing = [k for k in ("name", "url", "format") if not provider[k]]
    if missing:
        raise Invalid("name, url and format are needed (or a catalog_id).", details={k: ["Required."] for k in missing})
    targets.check_url(provider["url"], current_app.config["CSP_ALLOW_PRIVATE_TARGETS"])
    storage.save(get_redis(), provider)
    return flows.view(provider, None)


@bp.get("/providers/<provider_id>")
@bp.output(schemas.ProviderOut)
@bp.doc(summary="One provider with its components and active incidents")
def get_provider(provider_id):
    return flows.view(load(provider_id), storage.state(get_redis(), provider_id))


@bp.patch("/providers/<provider_id>")
@bp.input(schemas.ProviderPatch)
@bp.output(schemas.ProviderOut)
@bp.doc(summary="Enable, disable or change a provider (admin)", responses={422: "Bad URL or private target"})
@require_role("admin")
def update_provider(provider_id, json_data):
    provider = load(provider_id)
    if "url" in json_data:
        targets.check_url(json_data["url"], current_app.config["CSP_ALLOW_PRIVATE_TARGETS"])
    provider.update(json_data)
    storage.save(get_redis(), provider)
    return flows.view(provider, storage.state(get_redis(), provider_id))


@bp.delete("/providers/<provider_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Remove a provider and its history (admin)")
@require_role("admin")
def delete_provider(provider_id):
    load(provider_id)
    storage.delete(get_redis(), provider_id)
    return ""


@bp.put("/providers/<provider_id>/mappings")
@bp.input(schemas.MappingsIn)
@bp.output(schemas.ProviderOut)
@bp.doc(summary="Map the provider, or some of its components, to PolyStatus components (admin)")
@require_role("admin")
def map_provider(provider_id, json_data):
    provider = load(provider_id)
    provider["mappings"] = {"provider": json_data["provider"], "components": json_data["components"]}
    storage.save(get_redis(), provider)
    return flows.view(provider, storage.state(get_redis(), provider_id))


@bp.post("/providers/<provider_id>/poll")
@bp.output(schemas.ProviderOut)
@bp.doc(summary="Poll now and answer the normalised result (admin)")
@require_role("admin")
def poll_now(provider_id):
    config = current_app.config
    return flows.poll(get_redis(), load(provider_id), config["CLOCK"].now(),
                      allow_private=config["CSP_ALLOW_PRIVATE_TARGETS"], grace_s=config["PROVIDER_UNKNOWN_AFTER"],
                      timeout=config["PROVIDER_TIMEOUT"])


@bp.get("/providers/<provider_id>/history")
@bp.input(schemas.HistoryQuery, location="query")
@bp.output(schemas.HistoryOut)
@bp.doc(summary="State changes of the provider and its components, newest first")
def provider_history(provider_id, query_data):
    load(provider_id)
    return {"history": storage.history(get_redis(), provider_id, query_data["limit"])}
