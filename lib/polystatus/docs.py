"""Interactive API docs at ``/docs``: Swagger UI 5 (it reads the OpenAPI 3.1 document the services
emit; the 4.x bundle did not), served from the installed ``swagger-ui-py`` package so the docs
work with no internet. The page has no inline script: its initialiser is a file of ours
(``docs_ui/docs.js``), so the docs' Content-Security-Policy forbids inline scripts too."""
from __future__ import annotations

import os

from flask import render_template_string, send_from_directory

OURS = os.path.join(os.path.dirname(__file__), "docs_ui")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ title }} — API docs</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="stylesheet" href="/docs/ui/docs.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <main id="swagger-ui" data-spec="/openapi.json"><p class="docs-loading">Loading the API description…</p></main>
  <noscript><p>These docs need JavaScript; the description itself is at <a href="/openapi.json">/openapi.json</a>.</p></noscript>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/ui/docs.js"></script>
</body>
</html>
"""


def _swagger_ui_dir() -> str:
    import swagger_ui

    return os.path.join(os.path.dirname(swagger_ui.__file__), "static")


def init_app(app) -> None:
    assets = _swagger_ui_dir()

    @app.get("/docs")
    @app.doc(hide=True)
    def docs_page():
        response = app.make_response(render_template_string(PAGE, title=app.config.get("TITLE") or app.title))
        response.headers["Content-Security-Policy"] = CSP
        return response

    @app.get("/docs/assets/<path:filename>")
    @app.doc(hide=True)
    def docs_assets(filename):
        return send_from_directory(assets, filename, max_age=86400)

    @app.get("/docs/ui/<path:filename>")
    @app.doc(hide=True)
    def docs_ui(filename):
        return send_from_directory(OURS, filename, max_age=3600)
