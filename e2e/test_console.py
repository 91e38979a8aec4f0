"""The staff journey in the console, in a real Chromium, at 1280 px in English and 390 px in
French: bob signs in, opens an incident, updates it, corrects a typo in an update and in the
title, resolves it and publishes a postmortem; then a banner that expires, and a maintenance
edited and cancelled. Every step is checked on the page (the feedback a person reads) and
against the API (what really changed); axe-core finds nothing serious along the way."""
from __future__ import annotations

import re
import uuid

import pytest
from conftest import request
from playwright.sync_api import expect
from staff_pages import (
    DEMO_PASSWORD,
    VARIANTS,
    assert_accessible,
    assert_fits,
    confirm,
    open_page,
    said,
    sign_in,
    tab_stops_to,
    words,
)

__all__ = ["open_page"]  # a fixture


def local_input(page, hours: float) -> str:
    """A datetime-local value `hours` from now, in the browser's own time zone."""
    return page.evaluate("""(h) => { const d = new Date(Date.now() + h * 3600e3); const p = (n) => String(n).padStart(2, "0");
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`; }""", hours)


def section(card, summary: str):
    """The fold-out part of a card whose summary reads `summary`."""
    return card.locator("details").filter(has=card.page.locator("summary", has_text=summary))


def test_a_visitor_is_sent_to_sign_in_and_sees_no_staff_form(open_page):
    page = open_page(1280, "en")
    page.goto("/console")
    page.wait_for_url(re.compile(r"/login\?next=%2Fconsole$"))
    expect(page.locator("#email")).to_be_visible()
    assert page.locator("#new-incident").count() == 0
    assert "bearer" not in page.locator("body").inner_text().lower()  # what a visitor reads


@pytest.mark.parametrize("variant", VARIANTS)
def test_staff_take_an_incident_from_opening_to_postmortem(open_page, cluster, variant):
    width, lang = variant
    w = words(lang, "console")
    page = open_page(width, lang)
    suffix = uuid.uuid4().hex[:6]
    page.goto("/console")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("#email", "bob@example.com")
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/console$"))

    # open
    name = f"E2E checkout erors {suffix}"
    page.fill("#incident-name", name)
    page.fill("#incident-message", "We are lookign into failed payments.")
    page.select_option('#new-incident select[data-component="payments"]', "partial_outage")
    assert_accessible(page, f"the console ({lang}, {width} px)")
    assert tab_stops_to(page, page.locator("#new-incident button[type=submit]")) < 120
    page.click("#new-incident button[type=submit]")
    said(page, w["c_opened"].replace("{name}", name))
    card = page.locator("article[data-incident]").filter(has=page.get_by_role("heading", name=name, exact=True))
    expect(card).to_be_visible()
    incident_id = card.get_attribute("data-incident")
    card = page.locator(f'article[data-incident="{incident_id}"]')

    # update
    section(card, w["c_post_update"]).locator("summary").click()
    form = section(card, w["c_post_update"]).locator("form")
    form.locator("select[name=status]").select_option("identified")
    form.locator("textarea[name=message]").fill("A payment provider fails; we are switching to **another**.")
    form.get_by_role("button", name=w["c_preview"]).click()
    expect(form.locator(".preview strong")).to_have_text("another")
    form.locator("button[type=submit]").click()
    said(page, w["c_update_posted"])
    expect(card.locator(".meta").first).to_contain_text(w["identified"])

    # correct the typo in the first update, then in the title
    correct = section(card, w["c_correct"])
    correct.locator("summary").click()
    first = correct.locator(".edit-timeline li").last
    expect(first).to_contain_text("lookign")
    first.get_by_role("button", name=re.compile(re.escape(w["c_edit_text"]))).click()
    first.locator("textarea").fill("We are looking into failed payments.")
    first.get_by_role("button", name=w["st_save"], exact=True).click()
    said(page, w["c_text_corrected"])
    log = section(card, w["c_correct"]).locator(".edit-log")
    expect(log.locator("del")).to_have_text("We are lookign into failed payments.")
    expect(log.locator("ins")).to_have_text("We are looking into failed payments.")
    fixed = f"E2E checkout errors {suffix}"
    section(card, w["c_correct"]).locator("input[name=name]").fill(fixed)
    section(card, w["c_correct"]).get_by_role("button", name=w["c_save_correction"]).click()
    said(page, w["c_corrected"])
    expect(card.get_by_role("heading", name=fixed)).to_be_visible()
    status, incident, _ = request("GET", cluster.url("incidents", f"/incidents/{incident_id}"))
    assert status == 200 and incident["name"] == fixed
    assert incident["incident_updates"][-1]["body"] == "We are looking into failed payments."
    bob = request("POST", cluster.url("users", "/auth/login"), {"email": "bob@example.com", "password": DEMO_PASSWORD})[1]
    edits = request("GET", cluster.url("incidents", f"/incidents/{incident_id}/edits"),
                    headers={"Authorization": f"Bearer {bob['access_token']}"})[1]["edits"]
    assert [(e["field"], e["by"]) for e in edits] == [("update_body", "bob@example.com"), ("name", "bob@example.com")]

    # resolve
    card.get_by_role("button", name=w["c_resolve"], exact=True).click()
    confirm(page, w["st_confirm"])
    said(page, w["c_resolved"].replace("{name}", fixed))
    assert request("GET", cluster.url("incidents", f"/incidents/{incident_id}"))[1]["status"] == "resolved"

    # postmortem, in Markdown
    postmortem = section(card, w["c_postmortem"])
    postmortem.locator("summary").click()
    postmortem.locator("textarea[name=body]").fill(
        "## What happened\n\nThe payment provider failed; we now **fail over**. <script>alert(1)</script>")
    # the preview is the server's rendering, as visitors will read it: Markdown, never markup
    postmortem.get_by_role("button", name=w["c_preview"]).click()
    preview = postmortem.locator(".preview")
    expect(preview.get_by_role("heading", name="What happened")).to_be_visible()
    expect(preview.locator("strong")).to_have_text("fail over")
    expect(preview).to_contain_text("<script>alert(1)</script>")
    assert preview.locator("script").count() == 0
    postmortem.get_by_role("button", name=w["c_pm_save"]).click()
    said(page, w["c_pm_saved"])
    expect(postmortem.locator("p.meta").first).to_contain_text(w["c_pm_state_draft"].split("{when}")[0].strip())
    postmortem.locator("textarea[name=body]").fill("## What happened\n\nThe payment provider failed; we now fail over.")
    postmortem.get_by_role("button", name=w["c_pm_publish"], exact=True).click()
    confirm(page, w["st_confirm"])
    said(page, w["c_pm_published"])
    incident = request("GET", cluster.url("incidents", f"/incidents/{incident_id}"))[1]
    assert incident["status"] == "postmortem" and incident["postmortem_body"].startswith("## What happened")
    assert_accessible(page, f"the console after the journey ({lang}, {width} px)")
    assert_fits(page, "the console")


@pytest.mark.parametrize("variant", VARIANTS)
def test_staff_post_a_banner_that_expires_and_edit_then_cancel_a_maintenance(open_page, cluster, variant):
    width, lang = variant
    w = words(lang, "console")
    page = open_page(width, lang)
    suffix = uuid.uuid4().hex[:6]
    sign_in(page, "bob@example.com", DEMO_PASSWORD, "/console")
    page.get_by_role("tab", name=w["c_tab_banners"]).click()

    message = f"E2E: card payments may be slow tonight {suffix}"
    page.fill("#new-banner textarea[name=message]", message)
    page.select_option("#new-banner select[name=severity]", "warning")
    page.fill("#new-banner input[name=ends]", local_input(page, 2))
    assert_accessible(page, f"the banners ({lang}, {width} px)")
    page.click("#new-banner button[type=submit]")
    said(page, w["c_b_posted"])
    item = page.locator("[data-banner]").filter(has_text=message)
    expect(item).to_contain_text(w["c_b_expires"])
    active = request("GET", cluster.url("comms", "/banners/active"))[1]["banners"]
    [banner] = [b for b in active if b["message"] == message]
    assert banner["ends_at"] and banner["severity"] == "warning"

    item.get_by_role("button", name=w["c_b_expire_now"]).click()
    said(page, w["c_b_expired_now"])
    expect(item).to_contain_text(w["c_b_expired"])
    assert message not in [b["message"] for b in request("GET", cluster.url("comms", "/banners/active"))[1]["banners"]]
    item.get_by_role("button", name=w["c_b_remove"], exact=True).click()
    confirm(page, w["c_b_remove"])
    said(page, w["c_b_removed"])
    expect(page.locator("[data-banner]").filter(has_text=message)).to_have_count(0)

    page.get_by_role("tab", name=w["c_tab_maintenances"]).click()
    name = f"E2E database upgrade {suffix}"
    page.fill("#new-maintenance input[name=name]", name)
    page.fill("#new-maintenance input[name=from]", local_input(page, 24))
    page.fill("#new-maintenance input[name=until]", local_input(page, 25))
    page.locator("#new-maintenance").get_by_label("Payments", exact=True).check()
    page.click("#new-maintenance button[type=submit]")
    said(page, w["c_m_scheduled"].replace("{name}", name))
    card = page.locator("[data-maintenance]").filter(has_text=name)
    maintenance_id = card.get_attribute("data-maintenance")
    card = page.locator(f'[data-maintenance="{maintenance_id}"]')
    section(card, w["st_edit"]).locator("summary").click()
    edit = section(card, w["st_edit"]).locator("form")
    edit.locator("input[name=name]").fill(f"{name} (longer)")
    edit.locator("input[name=until]").fill(local_input(page, 27))
    edit.get_by_role("button", name=w["st_save"], exact=True).click()
    said(page, w["c_m_saved"].replace("{name}", f"{name} (longer)"))
    stored = request("GET", cluster.url("incidents", f"/maintenances/{maintenance_id}"))[1]
    assert stored["name"] == f"{name} (longer)" and [c["id"] for c in stored["components"]] == ["payments"]
    hours = (_ts(stored["scheduled_until"]) - _ts(stored["scheduled_for"])) / 3600
    assert 2.9 < hours < 3.1
    card.get_by_role("button", name=w["c_m_cancel"], exact=True).click()
    confirm(page, w["c_m_cancel"])
    said(page, w["c_m_cancelled"].replace("{name}", f"{name} (longer)"))
    assert request("GET", cluster.url("incidents", f"/maintenances/{maintenance_id}"))[0] == 404
    assert_accessible(page, f"the maintenances ({lang}, {width} px)")
    assert_fits(page, "the maintenances")


def _ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
