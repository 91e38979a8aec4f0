"""Notification channels (admin): Apprise URLs with routing rules; URLs are masked once saved."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus.auth import require_role
from polystatus.errors import Conflict
from polystatus.redis_store import get_redis

from .. import settings
from . import flows, schemas, service, storage

bp = APIBlueprint("channels", __name__, tag="Channels")


def load(channel_id: str) -> dict:
    return storage.CHANNELS.load(get_redis(), channel_id)


@bp.get("/channels")
@bp.output(schemas.ChannelListOut)
@bp.doc(summary="Every channel, URLs masked (admin)")
@require_role("admin")
def list_channels():
    return {"channels": [service.public_view(c) for c in storage.all_channels(get_redis())]}


@bp.post("/channels")
@bp.input(schemas.ChannelIn)
@bp.output(schemas.ChannelOut, status_code=201)
@bp.doc(summary="Add a channel (admin)", responses={422: "Bad URL or unknown event types"})
@require_role("admin")
def create_channel(json_data):
    return service.public_view(flows.create(get_redis(), json_data))


@bp.get("/channels/<channel_id>")
@bp.output(schemas.ChannelOut)
@bp.doc(summary="One channel, URL masked (admin)")
@require_role("admin")
def get_channel(channel_id):
    return service.public_view(load(channel_id))


@bp.patch("/channels/<channel_id>")
@bp.input(schemas.ChannelPatch)
@bp.output(schemas.ChannelOut)
@bp.doc(summary="Change a channel; send url only to replace it (admin)", responses={422: "Bad URL or events"})
@require_role("admin")
def update_channel(channel_id, json_data):
    return service.public_view(flows.update(get_redis(), load(channel_id), json_data))


@bp.delete("/channels/<channel_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Remove a channel (admin)")
@require_role("admin")
def delete_channel(channel_id):
    load(channel_id)
    storage.delete(get_redis(), channel_id)
    return ""


@bp.post("/channels/<channel_id>/test")
@bp.output(schemas.TestOut)
@bp.doc(summary="Send a test message now and answer how it went (admin)")
@require_role("admin")
def test_channel(channel_id):
    return flows.send_test(get_redis(), current_app.config, current_app.config["CLOCK"].now(), channel_id)


@bp.post("/config/reload")
@bp.output(schemas.ReloadOut)
@bp.doc(summary="Apply the CHANNELS_CONFIG file again (admin)",
        responses={409: "No config file set", 422: "Invalid file: nothing applied"})
@require_role("admin")
def reload_config():
    path = current_app.config.get("CHANNELS_CONFIG")
    if not path:
        raise Conflict("No CHANNELS_CONFIG file is configured.")
    with open(path, encoding="utf-8") as handle:
        return flows.apply_config(get_redis(), handle.read(), read_secret=settings.channel_url)
