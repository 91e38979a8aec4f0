"""Account emails that other services ask for (users: sign-up, password reset)."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus.auth import require_role
from polystatus.redis_store import get_redis

from . import flows, schemas

bp = APIBlueprint("messages", __name__, tag="Account emails")


@bp.post("/messages")
@bp.input(schemas.MessageIn)
@bp.output(schemas.MessageOut, status_code=202)
@bp.doc(summary="Queue an account email from a template (services only)")
@require_role("service")
def send_message(json_data):
    delivery = flows.queue(get_redis(), template=json_data["template"], to=json_data["to"], lang=json_data["lang"],
                           link=json_data["link"], now=current_app.config["CLOCK"].now())
    return {"id": delivery["id"], "status": delivery["status"]}
