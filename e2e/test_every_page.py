"""Every page a person can open, walked in a real Chromium (at 390 px, and at 1280 px once per
language): the public pages, the account pages (and the pages emailed links open), every tab
of the console and of the admin; in English and in French, signed out and signed in (alice,
who may see them all). On each, axe-core (npm) finds no serious or critical violation, and
nothing is wider than the screen although a component, an incident, a maintenance, a template,
a check and a banner carry one long unbroken word each (200 characters where the API allows)."""
from __future__ import annotations

import pytest
from browsing import page_width, serious_violations, with_axe
from conftest import ADMIN, request
from playwright.sync_api import expect
from staff_pages import sign_in

LONG = "w" * 200  # one unbroken word, as a careless or hostile writer types it
PUBLIC = ["/", "/history", "/components/e2e-sweep-long", "/components/api", "/history?q=sweep", "/no-such-page"]
ACCOUNT = ["/login", "/signup", "/reset", "/subscribe", "/account", "/signup/confirm", "/subscribe/confirm",
           "/unsubscribe", "/ack"]
CONSOLE_TABS = ["incidents", "maintenances", "banners", "templates"]
ADMIN_TABS = ["components", "checks", "heartbeats", "providers", "channels", "flags", "users", "api-keys", "page-tokens",
              "agents", "dead-letters"]


@pytest.fixture(scope="module")
def long_words(cluster, admin_token):
    """Things named with one long word each, removed at the end (other tests share the cluster)."""
    auth = {"Authorization": f"Bearer {admin_token}"}

    def make(service, path, body):
        status, made, _ = request("POST", cluster.url(service, path), body, auth)
        assert status == 201, made
        return made

    component = make("incidents", "/components", {"id": "e2e-sweep-long", "name": "v" * 120, "description": LONG})
    incident = make("incidents", "/incidents", {"name": "sweep " + LONG[:194], "status": "identified",
                                                "message": f"Sweep {LONG}", "components": {"e2e-sweep-long": "partial_outage"}})
    maintenance = make("incidents", "/maintenances", {
        "name": "m" * 200, "message": LONG, "components": ["e2e-sweep-long"],
        "scheduled_for": "2099-01-01T10:00:00Z", "scheduled_until": "2099-01-01T12:00:00Z"})
    template = make("incidents", "/incident-templates", {"name": "t" * 120, "title": "T" * 200, "body": LONG,
                                                         "update_status": "investigating"})
    banner = make("comms", "/banners", {"message": f"Sweep {LONG}", "severity": "warning"})
    check = make("csp-status", "/checks", {"name": "C" * 80, "kind": "tcp", "host": "127.0.0.1", "port": 9,
                                           "interval": 3600, "component_ids": ["e2e-sweep-long"]})
    yield {"incident": incident, "check": check}
    for service, path in (("csp-status", f"/checks/{check['id']}"), ("comms", f"/banners/{banner['id']}"),
                          ("incidents", f"/incident-templates/{template['id']}"),
                          ("incidents", f"/maintenances/{maintenance['id']}"),
                          ("incidents", f"/incidents/{incident['id']}"), ("incidents", f"/components/{component['id']}")):
        request("DELETE", cluster.url(service, path), None, auth)


def settled(page) -> None:
    """The page's script has drawn it (no "Loading…" left in the main part)."""
    expect(page.locator("main .loading")).to_have_count(0, timeout=15_000)


def check_page(page, where: str, problems: list[str]) -> None:
    problems += [f"{where}: {line}" for line in serious_violations(page)]
    scroll, viewport = page_width(page)
    if scroll > viewport:
        wide = page.evaluate("""(limit) => [...document.querySelectorAll('body *')]
            .filter((n) => n.getBoundingClientRect().right > limit + 1).slice(-3)
            .map((n) => n.tagName.toLowerCase() + (n.className ? '.' + String(n.className).split(' ').join('.') : ''))""", viewport)
        problems.append(f"{where}: {scroll} px wide in a {viewport} px window ({', '.join(wide)})")


# Every language with every kind of visitor at phone width (where long words hurt); the desktop
# layout once per language too.
WALKS = [pytest.param(width, lang, signed_in, id=f"{width}px-{lang}-{'signed-in' if signed_in else 'signed-out'}")
         for width, lang, signed_in in [(390, "en", False), (390, "fr", False), (390, "en", True), (390, "fr", True),
                                        (1280, "en", True), (1280, "fr", False)]]


@pytest.mark.parametrize("width,lang,signed_in", WALKS)
def test_every_page_passes_axe_and_fits_the_screen_with_long_words_in_both_languages(
        browser, cluster, long_words, width, lang, signed_in):
    context = browser.new_context(base_url=cluster.public, viewport={"width": width, "height": 844},
                                  locale="fr-FR" if lang == "fr" else "en-GB")
    context.add_cookies([{"name": "lang", "value": lang, "url": cluster.public}])
    with_axe(context)
    page = context.new_page()
    errors, problems = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        if signed_in:
            sign_in(page, ADMIN["email"], ADMIN["password"], "/account")
        # the cache behind the public pages is a few seconds old: wait for the long names
        for _ in range(30):
            page.goto("/")
            if page.locator("text=sweep").count():
                break
            page.wait_for_timeout(1000)
        incident, check = long_words["incident"]["id"], long_words["check"]["id"]
        for path in [*PUBLIC, f"/incidents/{incident}", f"/checks/{check}", *ACCOUNT]:
            page.goto(path)
            settled(page)
            check_page(page, path, problems)
        for area, tabs in (("console", CONSOLE_TABS), ("admin", ADMIN_TABS)):
            page.goto(f"/{area}")
            if not signed_in:
                page.wait_for_url("**/login**")
                settled(page)
                check_page(page, f"/{area} (signed out)", problems)
                continue
            for tab in tabs:
                page.locator(f"#tab-{tab}").click()
                expect(page.locator(f"#tab-{tab}")).to_have_attribute("aria-selected", "true")
                expect(page.locator("#panel > *").first).to_be_visible(timeout=15_000)
                expect(page.locator("#panel > .loading")).to_have_count(0, timeout=15_000)
                check_page(page, f"/{area}#{tab}", problems)
    finally:
        context.close()
    assert errors == [], f"the pages raised: {errors}"
    assert problems == [], "\n".join(problems)
