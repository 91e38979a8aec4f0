import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from frontend.app import create_app

SERVICES = ("incidents", "users", "comms", "csp-status", "feature-flags")


class Backends:
    """One real HTTP server on loopback standing in for the five services, each under its own
    path prefix, so a test can count what reached a service or take one down."""

    def __init__(self):
        self.documents: dict[str, object] = {}
        self.hits: dict[str, int] = {}
        self.down: set[str] = set()
        self.seen_headers: list[dict] = []
        self.seen_queries: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                url = urlsplit(self.path)
                service = url.path.split("/")[1]
                path = "/" + url.path.split("/", 2)[2] if url.path.count("/") > 1 else "/"
                fake.hits[path] = fake.hits.get(path, 0) + 1
                fake.seen_headers.append(dict(self.headers))
                fake.seen_queries.append(url.query)
                fake.gate.wait(5)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if service in fake.down:
                    return self._send(500, {"error": {"status": 500, "code": "internal_error"}})
                document = fake.documents.get(f"{self.command} {path}", fake.documents.get(path))
                if callable(document):
                    document = document(body)
                if document is None:
                    return self._send(404, {"error": {"status": 404, "code": "not_found", "message": "No such thing."}})
                if isinstance(document, tuple):
                    return self._send(*document)
                self._send(200, document)

            def _send(self, status, body, content_type="application/json", headers=()):
                raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def urls(self) -> dict:
        return {name: f"{self.url}/{name}" for name in SERVICES}


def statuspage_summary(status="operational", incidents=()):
    return {
        "page": {"id": "polystatus", "name": "Example Corp", "url": "https://status.example.com"},
        "status": {"indicator": "none" if status == "operational" else "major", "description": "All Systems Operational"},
        "components": [], "incidents": list(incidents), "scheduled_maintenances": [],
    }


INCIDENT = {
    "id": "inc1", "name": "Slow API", "status": "resolved", "impact": "major",
    "created_at": "2026-11-20T10:00:00Z", "updated_at": "2026-11-20T12:30:00Z", "started_at": "2026-11-20T10:00:00Z",
    "resolved_at": "2026-11-20T12:30:00Z", "postmortem_body": "## What happened\n\nA **full disk**.",
    "components": [{"id": "api", "name": "API", "status": "operational"}],
    "incident_updates": [
        {"id": "u2", "status": "resolved", "body": "Fixed.", "created_at": "2026-11-20T12:30:00Z",
         "affected_components": [{"code": "api", "name": "API", "old_status": "partial_outage", "new_status": "operational"}]},
        {"id": "u1", "status": "investigating", "body": "Looking into *slow* answers.", "created_at": "2026-11-20T10:00:00Z",
         "affected_components": [{"code": "api", "name": "API", "old_status": "operational", "new_status": "partial_outage"}]},
    ],
}


@pytest.fixture()
def backends():
    fake = Backends()
    fake.documents.update({
        "/api/v2/summary.json": statuspage_summary(),
        "/components": {"groups": [{"id": "core", "name": "Core"}],
                        "components": [{"id": "web", "name": "Website", "status": "operational", "group_id": "core"},
                                       {"id": "api", "name": "API", "status": "partial_outage", "group_id": "core"}]},
        "/components/web/uptime": {"days": [{"date": "2026-11-22", "worst": "operational", "uptime_pct": 100.0}], "uptime_pct": 100.0},
        "/components/api/uptime": {"days": [{"date": "2026-11-22", "worst": "partial_outage", "uptime_pct": 97.5}], "uptime_pct": 97.5},
        "/components/web/reports": {"state": "no_problems", "last_15_min": 0, "top_problems": []},
        "/components/api/reports": {"state": "problems_detected", "last_15_min": 42, "bucket_seconds": 300,
                                    "buckets": [{"start": "2026-11-22T10:00:00Z", "count": n % 7, "baseline": 1.5} for n in range(288)],
                                    "top_problems": [{"type": "login", "count": 30, "share": 0.71}, {"type": "slow", "count": 8, "share": 0.19},
                                                     {"type": "errors", "count": 3, "share": 0.07}, {"type": "other", "count": 1, "share": 0.03}]},
        "/providers": {"providers": [{"id": "github", "name": "GitHub", "status": "operational"}]},
        "/checks": {"checks": [{"id": "shop", "name": "Shop", "status": "up"}]},
        "/banners/active": {"banners": [{"id": "b1", "message": "Planned work tonight", "level": "info"}]},
        "POST /ofrep/v1/evaluate/flags": {"flags": [{"key": "show-reports", "value": True}, {"key": "broken", "errorCode": "PARSE_ERROR"}]},
        "/incidents": {"incidents": [INCIDENT], "page": 1, "per_page": 20, "total": 1},
        f"/incidents/{INCIDENT['id']}": INCIDENT,
        "/checks/shop/results": {"results": []},
        "/history.atom": (200, '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>History</title></feed>',
                          "application/atom+xml"),
        "/history.rss": (200, '<?xml version="1.0"?><rss version="2.0"><channel><title>History</title></channel></rss>', "application/rss+xml"),
    })
    yield fake
    fake.gate.set()
    fake.server.shutdown()


@pytest.fixture()
def config(base_config, backends):
    return {**base_config, "BACKENDS": backends.urls(), "PAGE_CACHE_TTL": 5.0, "PAGE_STALE_TTL": 300.0,
            "BACKEND_TIMEOUT": 2.0, "CORS_ORIGINS": ["https://status.example.com"]}


@pytest.fixture()
def app(config):
    app = create_app(config)
    yield app
    # A refresh still running would write into the next test's (flushed) Redis.
    app.extensions["page_cache"].refresher.shutdown(wait=True)


@pytest.fixture()
def client(app):
    return app.test_client()
