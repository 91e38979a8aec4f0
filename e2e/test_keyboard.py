"""The keyboard, in a real Chromium: how many presses of Tab bring a person from the top of the
public page, the console and the admin pages to their main actions. The uptime bars are no Tab
stops; the tabs of the console and the admin are one Tab stop, another tab chosen with the
arrow keys (the WAI-ARIA tabs pattern); a panel whose creation form follows a long list starts
with a link that takes the keyboard to the form. At 1280 px and on a 390 px phone alike (a phone
with a keyboard, or a narrow window, reaches the same actions in as few stops)."""
from __future__ import annotations

import pytest
from conftest import ADMIN
from playwright.sync_api import expect
from staff_pages import DEMO_PASSWORD, open_page, sign_in, tab_stops_to, words

__all__ = ["open_page"]  # a fixture

# The header's links, then the page's own links and buttons (incidents, banners and components
# that other tests leave on the shared cluster's page) and one report button per component, with
# a little room; 90 uptime bars per component as Tab stops would be far past it.
PUBLIC_HEADER_STOPS, PUBLIC_SLACK, STAFF_ACTION_BOUND = 10, 10, 15


WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_public_page_reaches_its_report_buttons_in_few_tab_stops_and_no_uptime_bar_is_one(open_page, width):
    page = open_page(width, "en")
    page.goto("/")
    reports = page.locator("summary[data-problem]")
    expect(reports.first).to_be_visible()
    assert tab_stops_to(page, page.locator("nav a[href='/subscribe']")) <= 5
    links = page.locator("main a[href], main button >> visible=true").count()
    bound = PUBLIC_HEADER_STOPS + links + reports.count() + PUBLIC_SLACK
    stops = tab_stops_to(page, reports.last)
    print(f"public page at {width} px: {stops} Tab stops to the last report button (bound {bound}: {reports.count()} components, {links} links)")
    assert stops <= bound, f"{reports.count()} components, {links} links and buttons"
    assert page.evaluate("document.querySelectorAll('.bar[tabindex], button.bar, a.bar').length") == 0


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_staff_reach_the_console_and_admin_actions_in_few_tab_stops_and_switch_tabs_with_arrows(open_page, lang, width):
    w = words(lang, "console", "admin")
    page = open_page(width, lang)
    sign_in(page, "bob@example.com", DEMO_PASSWORD, "/console")
    expect(page.locator("#new-incident")).to_be_visible()
    shortcut = page.get_by_role("link", name=w["st_to_form"].replace("{name}", w["c_open_title"]))
    assert tab_stops_to(page, shortcut) <= STAFF_ACTION_BOUND
    page.keyboard.press("Enter")
    expect(page.locator("#new-incident input[name=name]")).to_be_focused()

    page.goto("/login")
    sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")
    expect(page.locator("#new-component")).to_be_visible()
    assert page.locator("[role=tab][tabindex='0']").count() == 1
    components_tab = page.locator("#tab-components")
    assert tab_stops_to(page, components_tab) <= 10
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-checks")).to_be_focused()
    expect(page.locator("#tab-checks")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#new-check")).to_be_visible()
    assert page.url.endswith("#checks")
    run_now = page.locator("article[data-check]").first.get_by_role("button", name=w["a_run_now"])
    assert tab_stops_to(page, run_now) <= STAFF_ACTION_BOUND
    shortcut = page.get_by_role("link", name=w["st_to_form"].replace("{name}", w["a_check_new"]))
    assert tab_stops_to(page, shortcut) <= STAFF_ACTION_BOUND
    page.keyboard.press("Enter")
    expect(page.locator("#new-check input[name=name]")).to_be_focused()
