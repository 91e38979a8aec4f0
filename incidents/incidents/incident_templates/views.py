"""Incident templates (staff): create, list, change, delete; the console opens incidents from them."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app
from polystatus.auth import require_role
from polystatus.errors import NotFound
from polystatus.redis_store import get_redis

from . import flows, schemas, storage

bp = APIBlueprint("incident_templates", __name__, tag="Incident templates")


def now():
    return current_app.config["CLOCK"].now()


@bp.get("/incident-templates")
@bp.output(schemas.TemplateListOut)
@bp.doc(summary="Every incident template, by name (staff)")
@require_role("staff")
def list_templates():
    return {"templates": storage.all_templates(get_redis())}


@bp.post("/incident-templates")
@bp.input(schemas.TemplateIn)
@bp.output(schemas.TemplateOut, status_code=201)
@bp.doc(summary="Create an incident template (staff)", responses={422: "Unknown components"})
@require_role("staff")
def create_template(json_data):
    return flows.create(get_redis(), now(), json_data)


@bp.get("/incident-templates/<template_id>")
@bp.output(schemas.TemplateOut)
@bp.doc(summary="One incident template (staff)")
@require_role("staff")
def get_template(template_id):
    template = storage.get(get_redis(), template_id)
    if template is None:
        raise NotFound("No such incident template.")
    return template


@bp.patch("/incident-templates/<template_id>")
@bp.input(schemas.TemplatePatch)
@bp.output(schemas.TemplateOut)
@bp.doc(summary="Change an incident template (staff)", responses={422: "Unknown components"})
@require_role("staff")
def update_template(template_id, json_data):
    return flows.update(get_redis(), now(), template_id, json_data)


@bp.delete("/incident-templates/<template_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete an incident template (staff)")
@require_role("staff")
def delete_template(template_id):
    if storage.get(get_redis(), template_id) is None:
        raise NotFound("No such incident template.")
    storage.delete(get_redis(), template_id)
    return ""
