"""What people do on the pages, in a real headless Chromium (Debian's, driven by Playwright)
against the cluster `make up` starts."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from urllib.parse import urlsplit

import pytest
from browsing import SIZES, axe_violations, page_width, with_axe
from conftest import request
from playwright.sync_api import expect
from polystatus.fuzzing import strict_feed, strict_json, strict_xml

DEMO_PASSWORD = "polystatus-demo-2026"  # users.demo: bob is staff, carol is a user


@pytest.fixture()
def page(browser, cluster):
    context = browser.new_context(locale="en-GB", base_url=cluster.public, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"


def sign_in(page, email: str, password: str, lands_on: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(lands_on) + "$"))


def open_until(page, path: str, locator: str, timeout: float = 25.0):
    """The public page is served from a cache a few seconds old: reload until it shows."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(path)
        page.wait_for_selector(".component, .error", timeout=10_000)
        if page.locator(locator).count():
            return page.locator(locator)
        if time.monotonic() > deadline:
            raise AssertionError(f"{locator} never appeared on {path}")
        time.sleep(1)


def test_a_visitor_reports_a_problem_and_sees_the_count_change(page):
    page.goto("/components/mobile")
    count = page.locator('[data-reports-count="mobile"]')
    expect(count).to_have_text(re.compile(r"^\d+ "))
    before = int(count.inner_text().split()[0])
    page.click('[data-problem="mobile"]')
    choice = page.locator("[data-problem-type]").first
    choice.click()
    expect(page.locator('[data-reports-count="mobile"]')).to_have_text(re.compile(rf"^{before + 1} "))


def test_the_public_page_shows_components_with_90_day_bars_and_providers(page):
    page.goto("/")
    expect(page.locator('[data-component="api"]')).to_be_visible()
    assert page.locator('[data-component="api"] .bar').count() == 90
    expect(page.locator(".provider").first).to_be_visible()
    assert page.get_by_role("main").count() == 1 and page.get_by_role("banner").count() == 1


def test_on_a_phone_each_check_keeps_its_state_beside_its_name_and_nothing_overflows(page):
    page.set_viewport_size({"width": 390, "height": 844})
    open_until(page, "/", ".check .pill.region")  # the demo's checks, once an agent has reported
    rows = page.locator(".component.check")
    assert rows.count() >= 3
    width = page.evaluate("document.documentElement.clientWidth")
    for i in range(rows.count()):
        row = rows.nth(i)
        name, state = row.locator(".cname").bounding_box(), row.locator(".crow > .pill").bounding_box()
        # the state sits on the name's line, at the right; the regions may wrap under the name
        assert abs(state["y"] - name["y"]) < name["height"], row.inner_text()
        assert state["x"] > name["x"] + name["width"]
        for pill in row.locator(".pill").all():
            box = pill.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{pill.inner_text()} overflows"


def test_staff_open_an_incident_in_the_console_and_the_public_page_shows_it(page):
    sign_in(page, "bob@example.com", DEMO_PASSWORD, "/console")
    page.fill("#incident-name", "E2E: checkout errors")
    page.fill("#incident-message", "We are looking into failed payments.")
    page.select_option('#new-incident select[data-component="payments"]', "partial_outage")
    page.click("#new-incident button[type=submit]")
    expect(page.locator(".incident h3", has_text="E2E: checkout errors")).to_be_visible()
    card = open_until(page, "/", '.incident h3:has-text("E2E: checkout errors")')
    expect(card).to_be_visible()
    expect(page.locator('[data-component="payments"] .pill').last).to_have_text("Partial outage")


def test_an_admin_sees_the_agents_and_registers_one(page):
    sign_in(page, "alice@example.com", "correct horse battery staple 42", "/console")
    page.goto("/admin")
    page.get_by_role("tab", name="Agents").click()
    expect(page.locator("td strong", has_text="agent-1")).to_be_visible()  # the launcher's agent
    page.fill("input[name=region]", "e2e-browser")
    page.get_by_role("button", name="Register an agent").click()
    token = page.locator("[role=status] code")
    expect(token).to_have_text(re.compile(r"^psa_[A-Za-z0-9_-]{40,}$"))
    # Each check shows its regions once the agent has run it (it starts after the demo registers it).
    deadline = time.monotonic() + 60
    while True:
        page.get_by_role("tab", name="Checks").click()
        page.wait_for_selector("[data-check]")
        if page.locator("[data-check] .tag", has_text="agent-1").count() or time.monotonic() > deadline:
            break
        time.sleep(1)
    expect(page.locator("[data-check] .tag", has_text="agent-1").first).to_be_visible()


def test_a_user_follows_an_incident(page, cluster, admin_token):
    status, incident, _ = request("POST", cluster.url("incidents", "/incidents"),
                                  {"name": "E2E: slow sign-in", "status": "investigating", "message": "Looking.",
                                   "components": {"login": "degraded_performance"}},
                                  {"Authorization": f"Bearer {admin_token}"})
    assert status == 201, incident
    sign_in(page, "carol@example.com", DEMO_PASSWORD, "/")
    page.goto(f"/incidents/{incident['id']}")
    page.click("#follow")
    expect(page.get_by_role("status").filter(has_text="You follow this incident.")).to_be_visible()
    page.reload()
    expect(page.locator("#follow")).to_have_text("Unfollow")


def test_an_incident_title_with_markup_is_shown_as_text(page, cluster, admin_token):
    title = '<img src=x onerror="window.__pwned=1"> E2E markup'
    status, body, _ = request("POST", cluster.url("incidents", "/incidents"),
                              {"name": title, "status": "investigating", "message": "<b>not bold</b>"},
                              {"Authorization": f"Bearer {admin_token}"})
    assert status == 201, body
    heading = open_until(page, "/", '.incident h3:has-text("E2E markup")')
    expect(heading).to_have_text(title)
    assert page.locator("main img").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.goto(f"/incidents/{body['id']}")
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".timeline")).to_contain_text("<b>not bold</b>")


def test_the_language_switch_turns_the_page_into_french(page):
    page.goto("/")
    expect(page.locator('[data-component="api"]')).to_be_visible()
    page.click("#lang")
    expect(page.locator("h2").filter(has_text="Composants")).to_be_visible()


def _server_pids(port: int) -> list[int]:
    """The granian process serving ``port`` and its workers."""
    found = subprocess.run(["pgrep", "-f", f"granian .*--port {port} "], capture_output=True, text=True).stdout.split()
    pids = [int(p) for p in found]
    for pid in list(pids):
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(c) for c in children]
    return pids


def test_the_page_still_works_with_a_backing_service_stopped(page, cluster):
    page.goto("/")
    expect(page.locator('[data-component="api"]')).to_be_visible()
    assert request("GET", cluster.public + "/api/v2/summary.json")[0] == 200  # now it is cached
    port = urlsplit(cluster.url("incidents")).port
    pids = _server_pids(port)
    assert pids, "the incidents server process was not found"
    # SIGSTOP rather than a kill: the process manager would stop the whole cluster on an exit,
    # and a hung service (connections open, no answers) is the harder case for the page.
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        note = open_until(page, "/", ".missing", timeout=40)
        expect(note).to_contain_text("incidents")
        # what is known stays on the page: components with their bars, and the other sections
        expect(page.locator('[data-component="api"]')).to_be_visible()
        expect(page.locator(".provider").first).to_be_visible()
        status, body, _ = request("GET", cluster.public + "/api/v2/summary.json", timeout=15)
        assert status == 200 and body["page"]
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def test_a_nasty_incident_title_and_banner_render_as_text_and_every_feed_still_parses(browser, cluster, admin_token):
    """Issue 21: text the rules accept (markup, a decomposed accent, right-to-left words, emoji,
    a very long word) shows as typed, on a desktop and a phone; what they refuse (a form feed)
    is a 422 naming the field; the feeds and the Statuspage JSON on the public origin parse."""
    auth = {"Authorization": f"Bearer {admin_token}"}
    word = "Unterbrechungsfreiestromversorgungsanlagenwartung" * 2
    title = f'<img src=x onerror="window.__pwned=1"> Cafe\u0301 ]]> &amp; مرحبا 🙂 {word}'
    shown = title.replace("Cafe\u0301", "Caf\u00e9")  # names are stored in NFC
    status, body, _ = request("POST", cluster.url("incidents", "/incidents"), {"name": title, "status": "investigating",
                              "message": "Line one\n<script>window.__pwned=2</script>\tLine two"}, auth)
    assert status == 201 and body["name"] == shown, body
    banner = f"<b>Payments</b> \u200fمتأخرة\u200e are slow ⚠️ {word}"
    status, created, _ = request("POST", cluster.url("comms", "/banners"), {"message": banner, "severity": "warning"}, auth)
    assert status == 201, created
    try:
        status, refused, _ = request("POST", cluster.url("incidents", "/incidents"),
                                     {"name": "Form\x0cfeed", "status": "investigating", "message": "m"}, auth)
        assert status == 422 and "name" in refused["error"]["details"]["json"]
        for size, viewport in SIZES.items():
            context = browser.new_context(locale="en-GB", base_url=cluster.public, viewport=viewport)
            with_axe(context)
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            heading = open_until(page, "/", f'.incident h3:has-text("{word[:40]}")')
            expect(heading).to_have_text(shown)
            expect(page.locator("#banners .banner span").filter(has_text="are slow")).to_have_text(banner)
            assert page.locator("main img, #banners b").count() == 0 and page.evaluate("window.__pwned") is None
            scroll_width, width = page_width(page)
            assert scroll_width <= width, f"the page is wider than the {size} screen"
            assert axe_violations(page) == []
            page.screenshot(path=os.path.join(cluster.var, f"nasty-text-{size}.png"), full_page=False)
            context.close()
            assert errors == [], errors
        for path in ("/history.atom", "/history.rss"):  # cached a few seconds by the frontend
            deadline = time.monotonic() + 30
            while True:
                raw = urllib.request.urlopen(cluster.public + path, timeout=10).read()
                strict_feed(raw)  # expat, then feedparser with no bozo flag
                # the titles as written (feedparser reads RSS titles as HTML, so it is asked nothing more)
                if shown in [e.text for e in strict_xml(raw).iter() if e.tag.rsplit("}", 1)[-1] == "title"]:
                    break
                assert time.monotonic() < deadline, f"{path} never showed the incident"
                time.sleep(1)
        strict_json(urllib.request.urlopen(cluster.public + "/api/v2/summary.json", timeout=10).read())
    finally:  # the banner and the incident would stay on every later page of the run
        request("DELETE", cluster.url("comms", f"/banners/{created['id']}"), headers=auth)
        request("POST", cluster.url("incidents", f"/incidents/{body['id']}/updates"),
                {"status": "resolved", "message": "Resolved."}, auth)


def service_redis(cluster, service: str, db: int):
    """A service's own Redis database in the cluster `make up` started (one redis-server, a
    database per service; ports moved by the run's offset)."""
    import redis

    offset = int(urlsplit(cluster.url(service)).port) - SERVICE_BASE_PORTS[service]
    port = int(os.environ.get("POLYSTATUS_REDIS_PORT", REDIS_BASE_PORT)) + offset
    return redis.Redis(host="127.0.0.1", port=port, db=db, decode_responses=True)


SERVICE_BASE_PORTS, REDIS_BASE_PORT = {"incidents": 5001, "comms": 5003}, 6390


def test_a_name_and_a_banner_stored_before_the_text_rules_render_and_every_document_parses(browser, cluster, admin_token):
    """Issue 21, data already stored: a component name and a banner written straight into their
    services' Redis as an older version stored them (an unpaired surrogate, controls, an escape
    sequence) no longer break the page for every visitor: it renders in Chromium, cleaned."""
    auth = {"Authorization": f"Bearer {admin_token}"}
    cid = f"old-{os.getpid()}"
    status, body, _ = request("POST", cluster.url("incidents", "/components"), {"id": cid, "name": "Old text probe"}, auth)
    assert status == 201, body
    status, banner, _ = request("POST", cluster.url("comms", "/banners"),
                                {"message": "Old banner probe", "severity": "critical"}, auth)
    assert status == 201, banner
    old = "\ud800\x0c\x00\x1b[2J\x85"
    try:
        incidents, comms = service_redis(cluster, "incidents", 1), service_redis(cluster, "comms", 3)
        stored = json.loads(incidents.get(f"component:{cid}"))  # incidents/components/storage.py
        incidents.set(f"component:{cid}", json.dumps({**stored, "name": f"Old{old} text probe"}))
        stored = json.loads(comms.get(f"banner:{banner['id']}"))  # comms/banners/storage.py
        comms.set(f"banner:{banner['id']}", json.dumps({**stored, "message": f"Old{old} banner probe"}))

        context = browser.new_context(locale="en-GB", base_url=cluster.public, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        name = open_until(page, "/", f'#c-{cid} .cname:has-text("Old\ufffd")')
        expect(name).to_have_text("Old\ufffd[2J text probe")
        expect(page.locator(f'[data-banner="{banner["id"]}"] .banner-text')).to_have_text("Old\ufffd[2J banner probe")
        page.goto(f"/components/{cid}")
        expect(page.locator("h1").first).to_contain_text("Old\ufffd[2J text probe")
        context.close()
        assert errors == [], errors
        for path in ("/api/page.json", "/api/v2/summary.json", "/api/v2/components.json"):
            strict_json(urllib.request.urlopen(cluster.public + path, timeout=10).read())
    finally:
        request("DELETE", cluster.url("comms", f"/banners/{banner['id']}"), headers=auth)
        request("DELETE", cluster.url("incidents", f"/components/{cid}"), headers=auth)
