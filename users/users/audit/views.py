"""The audit trail, read by admins: GET /audit (filters, pages), GET /audit/export (JSON lines)."""
from __future__ import annotations

import json

from apiflask import APIBlueprint
from flask import Response, stream_with_context
from polystatus.auth import require_role
from polystatus.redis_store import get_redis
from polystatus.text import clean_tree

from . import flows, schemas, service

bp = APIBlueprint("audit", __name__, tag="Audit")


def _query(args: dict) -> service.Query:
    def ms(moment):
        return int(moment.timestamp() * 1000) if moment is not None else None

    return service.Query(actor=args.get("actor") or None, object=args.get("object") or None,
                         service=args.get("service"), since_ms=ms(args.get("since")), until_ms=ms(args.get("until")))


@bp.get("/audit")
@require_role("admin")
@bp.input(schemas.AuditPageQuery, location="query")
@bp.output(schemas.AuditPage)
@bp.doc(summary="The audit trail: every write on every service, newest first (admin)")
def audit_page(query_data):
    return flows.page(get_redis(), query=_query(query_data), page_number=query_data["page"],
                      per_page=query_data["per_page"])


@bp.get("/audit/export")
@require_role("admin")
@bp.input(schemas.AuditExportQuery, location="query")
@bp.doc(summary="The audit trail as JSON lines, newest first (admin)",
        responses={200: {"description": "one entry per line",
                         "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}})
def audit_export(query_data):
    entries = flows.export(get_redis(), query=_query(query_data), limit=query_data["limit"])

    def lines():
        for entry in entries:
            # An entry's "before" is an object as it was stored, maybe before the text rules: an
            # unpaired surrogate would not encode as UTF-8 and cut the stream there, a control
            # would trip a strict reader (issue 21). Cleaned per line, as it streams.
            yield json.dumps(clean_tree(entry), separators=(",", ":"), ensure_ascii=False) + "\n"

    return Response(stream_with_context(lines()), content_type="application/x-ndjson",
                    headers={"Content-Disposition": 'attachment; filename="polystatus-audit.jsonl"',
                             "Cache-Control": "no-store"})
