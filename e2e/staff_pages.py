"""What the console and admin browser tests share: a browser per language and width, signing
in, the pages' own words (frontend/i18n, so a test reads what a person reads), axe-core."""
from __future__ import annotations

import json
import os
import re

import pytest
from browsing import serious_violations, with_axe
from playwright.sync_api import expect

I18N = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "frontend", "frontend", "i18n")
DEMO_PASSWORD = "polystatus-demo-2026"  # users.demo: bob is staff, carol is a user
# Two runs of each journey keep CI time modest and still cover both widths and both languages.
VARIANTS = [pytest.param((1280, "en"), id="desktop-en"), pytest.param((390, "fr"), id="phone-fr")]


def words(lang: str, *areas: str) -> dict:
    merged = {}
    for area in ("common", "staff", *areas):
        with open(os.path.join(I18N, f"{area}.json"), encoding="utf-8") as handle:
            doc = json.load(handle)
        merged.update(doc["en"])
        merged.update(doc[lang])
    return merged


@pytest.fixture()
def open_page(browser, cluster):
    """open_page(width, lang) -> a page in that language at that width, axe-core loaded."""
    contexts, errors = [], []

    def make(width: int, lang: str):
        context = browser.new_context(locale="fr-FR" if lang == "fr" else "en-GB", base_url=cluster.public,
                                       viewport={"width": width, "height": 900})
        context.add_cookies([{"name": "lang", "value": lang, "url": cluster.public}])
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=cluster.public)
        with_axe(context)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], f"the page raised: {errors}"


def sign_in(page, email: str, password: str, then: str) -> None:
    page.goto(f"/login?next={then}")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/?]+" + re.escape(then.split("#")[0]) + "(#.*)?$"))


def assert_accessible(page, where: str) -> None:
    found = serious_violations(page)
    assert found == [], f"axe-core on {where}:\n" + "\n".join(found)


def assert_fits(page, where: str) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{where} is {scroll} px wide in a {width} px window"


def said(page, text: str):
    """The panel's feedback line says `text` (after the action's answer came back)."""
    expect(page.locator("#feedback")).to_have_text(text, timeout=15_000)


def confirm(page, yes: str) -> None:
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=yes, exact=True).click()
    expect(page.locator("dialog[open]")).to_have_count(0)


def card(page, kind: str, text: str):
    """The admin's card of one object (article[data-check], ...) whose heading is `text`."""
    return page.locator(f"article[data-{kind}]").filter(has=page.get_by_role("heading", name=text, exact=True))


def fold(locator, summary: str):
    """The <details> inside `locator` whose summary says `summary` (an Edit fold)."""
    return locator.locator("details").filter(has=locator.page.locator("summary", has_text=summary))


def create_check_and_run_it_now(page, w: dict, form, name: str, *, fails_with: str):
    """Submit the filled new-check `form`, then "Run now" on the new check's card: of its two
    conditions the first holds and the second fails, showing `fails_with`. The card is returned."""
    form.locator("button[type=submit]").click()
    said(page, w["a_created"].replace("{name}", name))
    checked = card(page, "check", name)
    checked.get_by_role("button", name=w["a_run_now"]).click()
    verdicts = checked.locator(".verdicts li")
    expect(verdicts).to_have_count(2, timeout=20_000)
    expect(verdicts.nth(0)).to_have_class("holds")
    expect(verdicts.nth(1)).to_have_class("fails")
    expect(verdicts.nth(1)).to_contain_text(fails_with)
    return checked


def tab_stops_to(page, locator, limit: int = 400) -> int:
    """How many presses of Tab, from the top of the page, bring the keyboard to `locator`."""
    # Blurring does not move Chromium's "focus navigation starting point" (Tab would go on from
    # the last focused element): focus a stand-in at the very top of the page instead.
    page.evaluate("""() => { window.scrollTo(0, 0);
        const start = document.createElement("span"); start.tabIndex = -1; start.id = "tab-start";
        document.body.prepend(start); start.focus(); }""")
    target = locator.element_handle()
    for count in range(1, limit + 1):
        page.keyboard.press("Tab")
        if count == 1:
            page.evaluate("document.getElementById('tab-start')?.remove()")
        if page.evaluate("(el) => document.activeElement === el", target):
            return count
    raise AssertionError(f"Tab never reached {locator} in {limit} stops")
