"""A visitor's journey through the public pages, in Debian's Chromium driven by Playwright,
against the cluster `make up` starts: status page → component → incident → history (search,
filters, pages, Back) → "I have a problem" → thanks, at 1280 px and 390 px, in English and
French, each page audited by axe-core (npm) and measured for width with 200-character words
in banners, incident names and updates. Also: the pages without JavaScript, the keyboard, and
the API docs of every service."""
from __future__ import annotations

import re
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from browsing import LOCALES, SIZES, axe_violations, page_width, with_axe
from conftest import request
from playwright.sync_api import expect

LONG = "x" * 200  # an unbroken word, as a careless or hostile writer would type it
STORY = "E2E-journey"
TEXT = {
    "en": {"major_outage": "Major outage", "components": "Components", "thanks": "Thanks! Your report counts.",
           "reports_axis": "Reports per 5 min", "time_axis": "Last 24 hours", "critical": "Critical impact",
           "older": "Older", "page2": "Page 2 of 2", "no_incidents": "No incidents.", "affected": "Affected components",
           "report_thanks_nojs": "Thanks! Your report counts"},
    "fr": {"major_outage": "Panne majeure", "components": "Composants", "thanks": "Merci ! Votre signalement est pris en compte.",
           "reports_axis": "Signalements par 5 min", "time_axis": "Dernières 24 heures", "critical": "Impact critique",
           "older": "Plus anciens", "page2": "Page 2 sur 2", "no_incidents": "Aucun incident.", "affected": "Composants concernés",
           "report_thanks_nojs": "Merci ! Votre signalement est pris en compte"},
}


@pytest.fixture(scope="module")
def story(cluster, admin_token):
    """What the visitor finds: an open critical incident with long words and Markdown, 25 past
    incidents (two pages of history), five more banners (one a 200-character word), and a
    component whose name is one long word."""
    auth = {"Authorization": f"Bearer {admin_token}"}
    name = f"{STORY} outage "
    status, outage, _ = request("POST", cluster.url("incidents", "/incidents"), {
        "name": name + LONG[:200 - len(name)], "status": "investigating",  # names stop at 200
        "message": f"We see **failed requests** on the API. <script>window.__pwned = 1</script> zebrafish {LONG}",
        "components": {"api": "major_outage"}}, auth)
    assert status == 201, outage
    status, body, _ = request("POST", cluster.url("incidents", "/components"),
                              {"id": "e2e-long", "name": "y" * 120, "description": LONG}, auth)  # names stop at 120
    assert status == 201, body
    for n in range(25):
        status, body, _ = request("POST", cluster.url("incidents", "/incidents"), {
            "name": f"{STORY} history {n}", "status": "resolved", "message": "Fixed in the end.",
            "components": {"web": "operational"}}, auth)
        assert status == 201, body
    for n in range(5):
        message = f"{STORY} banner {n} {LONG}" if n == 0 else f"{STORY} banner {n}: planned work"
        status, body, _ = request("POST", cluster.url("comms", "/banners"),
                                  {"message": message, "severity": "warning" if n else "critical"}, auth)
        assert status == 201, body
    return {"outage": outage}


@contextmanager
def visiting(browser, cluster, size: str, lang: str, javascript: bool = True):
    """A fresh browser context (viewport, language, axe-core) and its page; the page must not
    raise a script error."""
    context = browser.new_context(base_url=cluster.public, viewport=SIZES[size], locale=LOCALES[lang],
                                  java_script_enabled=javascript)
    with_axe(context)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], f"the page raised: {errors}"


def wait_for(page, path: str, selector: str, timeout: float = 30.0):
    """The pages are drawn from a cache a few seconds old: reload until the story shows."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(path)
        if page.locator(selector).count():
            return page.locator(selector)
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} never appeared on {path}")
        time.sleep(1)


def audit(page, where: str) -> None:
    """No serious or critical axe-core violation, and nothing wider than the screen."""
    violations = axe_violations(page)
    assert violations == [], f"{where}: {violations}"
    scroll, viewport = page_width(page)
    assert scroll <= viewport, f"{where}: the page is {scroll} px wide in a {viewport} px window"


# Each journey reports on its own component: one address counts once per component per 15
# minutes (incidents deduplicates), and every test here comes from 127.0.0.1. test_browser.py
# reports on "mobile".
JOURNEYS = [("desktop", "en", "web"), ("phone", "fr", "cdn"), ("desktop", "fr", "login"), ("phone", "en", "e2e-long")]


@pytest.mark.parametrize("size,lang,reported", JOURNEYS, ids=[f"{s}-{lang}" for s, lang, _ in JOURNEYS])
def test_a_visitor_goes_from_the_status_page_to_an_incident_searches_the_history_and_reports_a_problem(
        browser, cluster, story, size, lang, reported):
    text = TEXT[lang]
    with visiting(browser, cluster, size, lang) as page:
        # The status page: overall status first, then active incidents, then banners, then components.
        wait_for(page, "/", f'.incident h3:has-text("{STORY} outage")')
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("#components-title")).to_have_text(text["components"])
        tops = [page.locator(s).first.bounding_box()["y"]
                for s in (".overall", "#active-title", "#banners", "#components-title")]
        assert tops == sorted(tops), f"overall, incidents, banners, components are out of order: {tops}"
        # Banners past the third are folded away; the long one wraps inside the page.
        assert page.locator("#banners > .banner").count() == 3
        folded = page.locator(".more-banners .banner").first
        expect(folded).to_be_hidden()
        page.locator(".more-banners > summary").click()
        expect(folded).to_be_visible()
        audit(page, f"/ ({size}, {lang})")

        # A component in major outage says so, next to its name; what users report is labelled apart.
        page.locator('[data-component="api"] a.cname').click()
        page.wait_for_url("**/components/api")
        expect(page.locator(".big-status .pill")).to_have_text(text["major_outage"])
        assert "No problems" not in page.locator(".title-row").inner_text()
        expect(page.locator("#open-title ~ .incident h3", has_text=f"{STORY} outage")).to_be_visible()
        chart = page.locator("#report svg.chart:visible")
        expect(chart).to_have_count(1)
        expect(chart.locator(".axis-title").first).to_have_text(text["time_axis"])
        expect(chart.locator(".axis-title").last).to_have_text(text["reports_axis"])
        audit(page, f"/components/api ({size}, {lang})")

        # The incident: affected components, impact, duration, and the Markdown timeline made safe.
        page.locator(".incident h3 a", has_text=f"{STORY} outage").first.click()
        page.wait_for_url(f"**/incidents/{story['outage']['id']}")
        facts = page.locator(".facts")
        expect(facts).to_contain_text(text["affected"])
        expect(facts.locator("a.affected", has_text="Public API")).to_be_visible()
        expect(facts).to_contain_text(text["critical"])
        expect(facts.locator("dd").nth(3)).to_have_text(re.compile(r"\d"))  # the duration so far
        update = page.locator(".timeline .md").first
        expect(update.locator("strong")).to_have_text("failed requests")
        expect(update).to_contain_text("<script>window.__pwned = 1</script>")
        assert page.evaluate("window.__pwned") is None
        audit(page, f"/incidents/<id> ({size}, {lang})")

        # History: a word of an update finds the incident; filters and pages live in the URL.
        page.goto("/history")
        page.fill("input[name=q]", "zebrafish")
        page.locator("form.filters button[type=submit]").click()
        page.wait_for_url(re.compile(r"q=zebrafish"))
        expect(page.locator(".history-list .incident")).to_have_count(1)
        expect(page.locator(".history-list .incident h2")).to_contain_text(f"{STORY} outage")
        audit(page, f"/history?q= ({size}, {lang})")
        page.fill("input[name=q]", f"{STORY} history")
        page.select_option("select[name=component]", "web")
        page.fill("input[name=month]", datetime.now(UTC).strftime("%Y-%m"))
        page.locator("form.filters button[type=submit]").click()
        page.wait_for_url(re.compile(r"component=web"))
        query = parse_qs(urlsplit(page.url).query)
        assert query["component"] == ["web"] and query["month"] == [datetime.now(UTC).strftime("%Y-%m")]
        expect(page.locator(".history-list .incident")).to_have_count(20)
        page.locator(".pager a[rel=next]").click()
        page.wait_for_url(re.compile(r"page=2"))
        expect(page.locator(".pager")).to_contain_text(text["page2"])
        expect(page.locator(".history-list .incident")).to_have_count(5)
        page.locator(".history-list .incident h2 a").first.click()
        page.wait_for_url(re.compile(r"/incidents/"))
        page.go_back()
        page.wait_for_url(re.compile(r"page=2"))
        expect(page.locator(".pager")).to_contain_text(text["page2"])  # Back keeps the page
        page.goto("/history?month=2001-01")
        expect(page.locator(".history-list")).to_contain_text(text["no_incidents"])

        # "I have a problem" on the status page, then thanks, and the count includes the report.
        page.goto("/")
        box = page.locator(f'[data-component="{reported}"]')
        before = int(re.sub(r"\D", "", box.locator("[data-reports-count]").inner_text().split()[0]))
        box.locator(f'[data-problem="{reported}"]').click()
        box.locator("[data-problem-type]").first.click()
        expect(page.get_by_role("status").filter(has_text=text["thanks"])).to_be_visible()
        expect(box.locator("[data-reports-count]")).to_have_text(re.compile(rf"^{before + 1}\D"))
        audit(page, f"/ after a report ({size}, {lang})")


@pytest.mark.parametrize("lang,reported", [("en", "payments"), ("fr", "api")])
def test_without_javascript_a_visitor_reads_the_status_and_reports_a_problem(browser, cluster, story, lang, reported):
    with visiting(browser, cluster, "phone", lang, javascript=False) as page:
        wait_for(page, "/", f'.incident h3:has-text("{STORY} outage")')
        expect(page.locator('[data-component="api"] .pill').last).to_have_text(TEXT[lang]["major_outage"])
        assert page.locator('[data-component="web"] .bar').count() == 90
        box = page.locator(f'[data-component="{reported}"]')
        box.locator(f'[data-problem="{reported}"]').click()  # <details>: opens without a script
        box.locator("[data-problem-type]").first.click()  # a plain form post
        page.wait_for_url(re.compile(rf"/components/{reported}\?reported=thanks"))
        expect(page.locator(".notice.ok")).to_contain_text(TEXT[lang]["report_thanks_nojs"])
        page.goto(f"/history?q={STORY}+history&component=web")
        expect(page.locator(".history-list .incident")).to_have_count(20)
        page.locator(".pager a[rel=next]").click()
        expect(page.locator(".history-list .incident")).to_have_count(5)


def test_the_keyboard_reaches_every_report_button_without_stopping_on_each_uptime_bar(browser, cluster, story):
    with visiting(browser, cluster, "desktop", "en") as page:
        wait_for(page, "/", f'.incident h3:has-text("{STORY} outage")')
        buttons = page.locator("summary[data-problem]").count()
        assert buttons >= 6
        reached, stops = set(), 0
        while stops < 150:
            page.keyboard.press("Tab")
            stops += 1
            focused = page.evaluate("[document.activeElement.dataset.problem || '', document.activeElement.closest('footer') !== null]")
            if focused[0]:
                reached.add(focused[0])
            if focused[1]:
                break
        assert len(reached) == buttons, f"reached {sorted(reached)} of {buttons} report buttons"
        assert stops < 100, f"{stops} Tab stops to cross the page"
        assert page.evaluate("document.querySelectorAll('.bar[tabindex], button.bar').length") == 0


def test_a_page_never_grows_wider_than_a_phone_with_long_words_in_names_and_updates(browser, cluster, story):
    with visiting(browser, cluster, "phone", "en") as page:
        wait_for(page, "/", f'.incident h3:has-text("{STORY} outage")')
        for path in ("/", "/components/api", f"/incidents/{story['outage']['id']}", f"/history?q={STORY}"):
            page.goto(path)
            scroll, viewport = page_width(page)
            assert scroll <= viewport, f"{path} is {scroll} px wide on a {viewport} px phone"
            for selector in (".incident h3, .incident h2, h1", ".banner-text"):
                for box in [b.bounding_box() for b in page.locator(selector).all()]:
                    if box:
                        assert box["x"] + box["width"] <= viewport + 1, f"{selector} overflows on {path}"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_check_page_charts_response_times_and_passes_axe(browser, cluster, lang):
    with visiting(browser, cluster, "phone", lang) as page:
        link = wait_for(page, "/", ".check a.cname")
        link.first.click()
        page.wait_for_url(re.compile(r"/checks/"))
        deadline = time.monotonic() + 30
        while not page.locator("svg.chart:visible polyline.rt").count() and time.monotonic() < deadline:
            time.sleep(1)
            page.reload()
        expect(page.locator("svg.chart:visible polyline.rt").first).to_be_attached()
        expect(page.locator("svg.chart:visible .axis-title")).to_have_count(2)
        audit(page, f"/checks/<id> ({lang})")


@pytest.mark.parametrize("service", ["incidents", "users", "comms", "csp-status", "feature-flags", "frontend"])
def test_the_api_docs_render_their_operations_on_every_service(browser, cluster, service):
    context = browser.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(cluster.url(service, "/docs"))
        operations = page.locator(".opblock")
        expect(operations.first).to_be_visible(timeout=20_000)
        assert operations.count() >= 3
        expect(page.locator(".opblock-summary-path").first).to_have_text(re.compile(r"^/"))
        assert "Unable to render this definition" not in page.content()
        assert errors == []
    finally:
        context.close()
