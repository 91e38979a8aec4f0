"""A private status page behind the shipped nginx edge (ops/nginx, rendered as `make up-ha`
renders it): nothing private is stored in, or answered from, the edge's micro-cache; the
password form works in Chromium; read tokens open feeds and the API through the edge.

A small rig rather than the whole cluster: Redis, users, incidents and a frontend with
PAGE_VISIBILITY=password, the edge in front of the frontend."""
from __future__ import annotations

import http.cookiejar
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

import pytest
from conftest import ROOT, request

sys.path.insert(0, os.path.join(ROOT, "ops"))
sys.path.insert(0, ROOT)
import launcher  # noqa: E402
from browsing import serious_violations, with_axe  # noqa: E402
from polystatus.testing import RedisServer  # noqa: E402

from bench.loadgen import free_port, start, start_service, stop, wait_http  # noqa: E402

PAGE_PASSWORD = "blue lagoon at dawn"
ADMIN = ("alice@example.com", "correct horse battery staple 42")
FRONTEND_SECRET = "frontend-client-secret-0123456789"


@pytest.fixture(scope="module")
def rig():
    launcher.setup_nginx()
    var = tempfile.mkdtemp(prefix="polystatus-private-")
    redis_server = RedisServer()
    ports = {name: free_port() for name in ("users", "incidents", "frontend", "edge", "closed")}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    common = {"JWKS_URL": f"{url['users']}/.well-known/jwks.json", "USERS_URL": url["users"],
              "INCIDENTS_URL": url["incidents"], "COMMS_URL": url["closed"], "CSP_STATUS_URL": url["closed"],
              "FEATURE_FLAGS_URL": url["closed"]}
    processes = []
    try:
        users_env = {**common, "REDIS_URL": redis_server.url(2), "SERVICE_CLIENTS": f"frontend={FRONTEND_SECRET}"}
        subprocess.run([sys.executable, "-m", "users.admin", "--email", ADMIN[0], "--password", ADMIN[1]],
                       env={**os.environ, **users_env}, check=True, capture_output=True, cwd=ROOT)
        processes.append(start_service("users.app:create_app", ports["users"], users_env))
        processes.append(start_service("incidents.app:create_app", ports["incidents"], {
            **common, "REDIS_URL": redis_server.url(1), "PAGE_VISIBILITY": "password"}))
        processes.append(start_service("frontend.app:create_app", ports["frontend"], {
            **common, "REDIS_URL": redis_server.url(6), "PAGE_VISIBILITY": "password", "PAGE_PASSWORD": PAGE_PASSWORD,
            "PAGE_COOKIE_SECRET": "edge-test-cookie-secret-0123456789", "SERVICE_CLIENT_ID": "frontend",
            "SERVICE_CLIENT_SECRET": FRONTEND_SECRET}))
        closed = {"a": ports["closed"], "b": ports["closed"]}
        plan = {"var": var, "ports": {"frontend": ports["edge"], **{f: free_port() for f in
                                                                   ("incidents", "users", "comms", "csp-status", "feature-flags")}},
                "replicas": {"frontend": {"a": ports["frontend"], "b": ports["frontend"]},
                             "incidents": {"a": ports["incidents"], "b": ports["incidents"]},
                             "users": {"a": ports["users"], "b": ports["users"]},
                             **{f: closed for f in ("comms", "csp-status", "feature-flags")}}}
        processes.append(start(launcher.edge_command(plan)))
        wait_http(f"{url['edge']}/healthz", timeout=30)
        # The frontend makes its page document once (a cold make can outlast the edge's short
        # micro-cache read timeout on a busy machine): with the password, straight to it.
        opened = opener()
        form(opened, url["frontend"] + "/page-access", {"password": PAGE_PASSWORD, "next": "/api/page.json"})
        yield {"url": url, "cache": os.path.join(var, "nginx", "cache"),
               "edge_incidents": f"http://127.0.0.1:{plan['ports']['incidents']}"}
    finally:
        for process in reversed(processes):
            stop(process)
        redis_server.stop()
        shutil.rmtree(var, ignore_errors=True)


def opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def form(opened, url: str, fields: dict):
    data = urllib.parse.urlencode(fields).encode()
    with opened.open(urllib.request.Request(url, data=data, method="POST"), timeout=15) as response:
        return response.status, response.read(), response.headers


def get(opened, url: str):
    try:
        with opened.open(url, timeout=15) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def no_redirects():
    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    return urllib.request.build_opener(Keep)


def cached_files(folder: str) -> list[str]:
    """The keys of what the edge keeps, but the page's static files (scripts, styles: public)."""
    keys = []
    for directory, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(directory, name), "rb") as handle:
                head = handle.read(4096)
            key = head.split(b"\nKEY: ", 1)[1].split(b"\n", 1)[0].decode(errors="replace") if b"\nKEY: " in head else name
            if not key.startswith("GET/static/"):
                keys.append(key)
    return keys


def test_through_the_edge_nothing_private_is_stored_or_served_from_its_cache(rig):
    edge = rig["url"]["edge"]
    allowed = opener()
    status, _, _ = form(allowed, edge + "/page-access", {"password": PAGE_PASSWORD, "next": "/"})
    assert status == 200  # followed to the page itself
    for path in ("/api/page.json", "/api/v2/summary.json", "/history.rss", "/"):
        for _ in range(3):
            status, body, headers = get(allowed, edge + path)
            assert status == 200, (path, status, body[:200])
            assert headers.get("Cache-Control") == "private, no-store", (path, headers.items())
            assert headers.get("X-Cache-Status") != "HIT", path
            assert "X-Accel-Expires" not in headers  # for the edge only
    assert cached_files(rig["cache"]) == []
    anonymous = no_redirects()
    for path in ("/api/page.json", "/api/v2/summary.json", "/history.rss", "/history.atom"):
        status, body, headers = get(anonymous, edge + path)
        assert status == 401 and b"page_private" in body, (path, status)
        assert headers.get("X-Cache-Status") != "HIT"
    status, body, headers = get(anonymous, edge + "/")
    assert status == 303 and headers["Location"].startswith("/page-access")


def test_through_the_edge_a_read_token_opens_the_feeds_and_api_and_a_made_up_one_does_not(rig):
    users, edge = rig["url"]["users"], rig["url"]["edge"]
    status, body, _ = request("POST", users + "/auth/login", {"email": ADMIN[0], "password": ADMIN[1]})
    assert status == 200, body
    admin = {"Authorization": f"Bearer {body['access_token']}"}
    status, made, _ = request("POST", users + "/page-tokens", {"name": "wallboard"}, admin)
    assert status == 201, made
    reader = no_redirects()
    for path in ("/history.rss", "/api/v2/status.json"):
        for _ in range(2):
            status, _, headers = get(reader, f"{edge}{path}?token={made['token']}")
            assert status == 200 and headers["Cache-Control"] == "private, no-store", path
        assert get(reader, f"{edge}{path}?token=psr_made-up")[0] == 401
    assert cached_files(rig["cache"]) == []


def test_the_password_form_opens_the_private_page_in_chromium(rig, browser):
    edge = rig["url"]["edge"]
    context = browser.new_context(locale="en-GB")
    with_axe(context)
    page = context.new_page()
    page.goto(edge + "/history")
    assert "/page-access" in page.url
    page.get_by_role("heading", name="This status page is private").wait_for()
    assert serious_violations(page) == []
    page.get_by_label("Page password").fill("not the password")
    page.get_by_role("button", name="Open the page").click()
    page.get_by_role("alert").filter(has_text="not the page's password").wait_for()
    page.get_by_label("Page password").fill(PAGE_PASSWORD)
    page.get_by_role("button", name="Open the page").click()
    page.wait_for_url(edge + "/history")
    assert page.locator("body").get_attribute("data-page") == "history"
    assert page.get_by_label("Page password").count() == 0
    context.close()


def test_on_the_services_own_port_through_the_edge_the_documents_need_a_token_and_are_not_cached(rig):
    incidents = rig["edge_incidents"]
    anonymous = no_redirects()
    for path in ("/api/v2/summary.json", "/history.atom"):
        status, body, _ = get(anonymous, incidents + path)
        assert status == 401 and b"page_private" in body, (path, status)
    status, body, _ = request("POST", rig["url"]["users"] + "/auth/login", {"email": ADMIN[0], "password": ADMIN[1]})
    signed = urllib.request.build_opener()
    signed.addheaders = [("Authorization", f"Bearer {body['access_token']}")]
    for _ in range(2):
        status, _, headers = get(signed, incidents + "/api/v2/summary.json")
        assert status == 200 and headers.get("Cache-Control") == "private, no-store"
        assert headers.get("X-Cache-Status") != "HIT"
    assert cached_files(rig["cache"]) == []
