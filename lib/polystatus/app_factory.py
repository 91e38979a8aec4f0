"""The pieces every service's ``create_app(config=None)`` is built from.

A service's factory reads its settings (its own ``settings.load()``), calls
:func:`create_service_app`, then registers its blueprints. Tests pass ``config`` to override
settings (a throw-away Redis URL, a frozen clock).
"""
from __future__ import annotations

import io

from apiflask import APIFlask
from flask.json.provider import DefaultJSONProvider
from flask_cors import CORS

from . import audit, auth, docs, error_handlers, error_reports, errors, health, logs, metrics, redis_store, text
from .clock import SystemClock

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        },
        "request_id": {"type": ["string", "null"]},
    },
}

class CleanJSONProvider(DefaultJSONProvider):
    """Every JSON answer of a service (its views' dicts, ``jsonify``, its errors) written by
    :func:`polystatus.text.dumps`: text stored before the text rules, or read from a third party,
    leaves as :func:`polystatus.text.clean` makes it, so a strict reader (a browser's page built
    from it, the frontend, a script) never gets an unpaired surrogate or a control (issue 21).
    Only answers: ``dumps`` stays as it is for everything else, the test client's ``json=``
    among them (a test must be able to send what the rules refuse)."""

    sort_keys = False

    def response(self, *args, **kwargs):
        obj = self._prepare_response_obj(args, kwargs)
        # Flask's own layout: indented in debug mode, compact otherwise
        layout = {"indent": 2} if (self.compact is None and self._app.debug) or self.compact is False \
            else {"separators": (",", ":")}
        body = text.dumps(obj, default=self.default, sort_keys=self.sort_keys, **layout)
        return self._app.response_class(f"{body}\n", mimetype=self.mimetype)


SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# The API answers JSON only; the docs page (polystatus.docs) sets its own policy.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = docs.CSP


def header_policy(config: dict, path: str) -> dict[str, str]:
    """The security headers of an answer to ``path``: Flask's after_request and the fast
    transport (polystatus.fastpath) both set exactly these."""
    headers = dict(SECURITY_HEADERS)
    if not config.get("SERVES_PAGES"):
        headers["Content-Security-Policy"] = DOCS_CSP if path.startswith("/docs") else API_CSP
    return headers


def _protected_operations(app) -> set[tuple[str, str]]:
    """(OpenAPI path, METHOD) of every route guarded by ``require_role``."""
    import re

    found = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if getattr(view, "_polystatus_roles", None):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found.update((path, method) for method in rule.methods or ())
    return found


class ChunkedBodyLimit:
    """A chunked body (no Content-Length) is read here, up to the limit plus one byte, and given
    a Content-Length, so that one over MAX_CONTENT_LENGTH is refused with 413 like any other:
    werkzeug alone stops reading a chunked stream at the limit and hands the cut body on."""

    def __init__(self, wsgi_app, limit: int | None):
        self.wsgi_app = wsgi_app
        self.limit = limit

    def __call__(self, environ, start_response):
        if self.limit and not environ.get("CONTENT_LENGTH") and \
                "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            data = environ["wsgi.input"].read(self.limit + 1)
            environ["wsgi.input"] = io.BytesIO(data)
            environ["CONTENT_LENGTH"] = str(len(data))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["wsgi.input_terminated"] = False
        return self.wsgi_app(environ, start_response)


def create_service_app(import_name: str, *, service: str, title: str, description: str,
                       settings: dict, config: dict | None = None, version: str = "0.1.0") -> APIFlask:
    # docs_path=None: /docs is polystatus.docs's page (Swagger UI 5, no inline script).
    app = APIFlask(import_name, title=title, version=version, docs_path=None, spec_path="/openapi.json")
    app.json = CleanJSONProvider(app)
    app.config.update(settings)
    app.config.update(config or {})
    app.config.setdefault("CLOCK", SystemClock())
    app.config["SERVICE_NAME"] = service
    app.config["DESCRIPTION"] = description
    app.config["INFO"] = {"description": description}
    app.config["HTTP_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.config["VALIDATION_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.config["VALIDATION_ERROR_STATUS_CODE"] = 422
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False

    if not app.config.get("TESTING"):
        logs.configure(service, app.config.get("LOG_LEVEL", "INFO"), app.config.get("LOG_FORMAT", "json"))
    logs.init_app(app, service)
    error_reports.init_app(app)
    error_handlers.init_app(app)
    metrics.init_app(app, service)
    redis_store.init_app(app)
    health.init_app(app)
    auth.init_app(app)
    audit.init_app(app)
    CORS(app, origins=app.config.get("CORS_ORIGINS", []), supports_credentials=False,
         allow_headers=["Authorization", "Content-Type", "X-Request-ID", "If-None-Match", "X-API-Key"],
         expose_headers=["ETag", "X-Request-ID", "Retry-After", "Location"], max_age=600)

    docs.init_app(app)
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, app.config.get("MAX_CONTENT_LENGTH"))
    app.before_request(auth.check_route_roles)

    @app.before_request
    def _require_json_body():
        """A route that takes a JSON body gets one: 415 for another type, 400 for none.

        APIFlask would otherwise read a missing or non-JSON body as ``{}``, which an
        all-optional schema (a PATCH) accepts: the caller's mistake would pass silently.
        """
        from flask import request

        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        spec = getattr(view, "_spec", None) or {}
        if not spec.get("body") or spec.get("content_type", "application/json") != "application/json":
            return None
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        if not request.get_data(cache=True):
            raise errors.BadRequest("This operation needs a JSON body.", code="body_required")
        if not request.is_json:
            raise errors.ServiceError("The body must be JSON (Content-Type: application/json).",
                                      code="unsupported_media_type").with_status(415)
        try:
            request.get_json()  # parsed once here (Flask keeps it), so a too-deep body is a 400
        except RecursionError:
            raise errors.BadRequest("The JSON body is nested too deeply.", code="json_too_deep") from None
        return None

    @app.spec_processor
    def _complete_spec(spec):
        """Document the errors the shared machinery can answer on every operation.

        Done once here rather than on each route: a JSON body can always be malformed (400),
        too large (413) or of the wrong type (415); a protected route can always answer 401
        and 403; a path with a parameter can always answer 404.
        """
        spec.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        protected = _protected_operations(app)
        for path, item in spec.get("paths", {}).items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                if (path, method.upper()) in protected:
                    # @app.doc() resets `security`, so it is set here from require_role's mark.
                    operation["security"] = [{"BearerAuth": []}, {"PolyStatusApiKey": []}]
                codes = []
                if "requestBody" in operation:
                    operation["requestBody"]["required"] = True
                    codes += [("400", "Malformed or missing JSON body"), ("413", "Body too large"),
                              ("415", "Body is not JSON")]
                if operation.get("security"):
                    codes += [("401", "Missing, invalid or expired token"), ("403", "Role too low")]
                if "{" in path:
                    codes.append(("404", "Not found"))
                for code, description in codes:
                    operation["responses"].setdefault(code, {"description": description, **error})
        return spec

    @app.after_request
    def _security_headers(response):
        from flask import request

        for name, value in header_policy(app.config, request.path).items():
            response.headers.setdefault(name, value)
        return response

    return app

