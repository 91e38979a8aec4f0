"""Notification channels (admin): Apprise URLs with routing rules; URLs are masked once saved."""
from __future__ import annotations

import secrets

from apiflask import APIBlueprint
from polystatus.auth import require_role
from polystatus.errors import NotFound
from polystatus.redis_store import get_redis

from . import schemas, service, storage

bp = APIBlueprint("channels", __name__, tag="Channels")


def load(channel_id: str) -> dict:
    channel = storage.get(get_redis(), channel_id)
    if channel is None:
        raise NotFound("No such channel.")
    return channel


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
    service.check_url(json_data["url"])
    service.check_events(json_data["events"])
    channel = {"id": secrets.token_hex(6), **json_data}
    storage.save(get_redis(), channel)
    return service.public_view(channel)


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
    channel = load(channel_id)
    if "url" in json_data:
        service.check_url(json_data["url"])
    if "events" in json_data:
        service.check_events(json_data["events"])
    channel.update(json_data)
    storage.save(get_redis(), channel)
    return service.public_view(channel)


@bp.delete("/channels/<channel_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Remove a channel (admin)")
@require_role("admin")
def delete_channel(channel_id):
    load(channel_id)
    storage.delete(get_redis(), channel_id)
    return ""
