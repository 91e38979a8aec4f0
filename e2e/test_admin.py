"""The admin journey, in a real Chromium, at 1280 px in English and 390 px in French: alice
configures a fresh install in the browser alone: a component and groups (in order), a check
whose conditions are run now, a heartbeat with its schedule previewed and its ping URL copied,
a provider mapped to the component, a channel that receives a test, a flag rolled out to a
share of people then switched off, a confirmed role change (and a refused one that shows the
truth), and a dead letter retried. Each step is checked on the page and against the API."""
from __future__ import annotations

import re
import time
import uuid
from urllib.parse import urlsplit

import pytest
from conftest import ADMIN, request
from playwright.sync_api import expect
from polystatus.testing import WebhookReceiver
from staff_pages import (
    VARIANTS,
    assert_accessible,
    assert_fits,
    card,
    confirm,
    create_check_and_run_it_now,
    fold,
    open_page,
    said,
    sign_in,
    words,
)

__all__ = ["open_page"]  # a fixture


@pytest.fixture()
def hooks():
    made = []

    def make(status=200):
        made.append(WebhookReceiver(status))
        return made[-1]

    yield make
    for hook in made:
        hook.stop()


def api(cluster, token, method, service, path, body=None):
    return request(method, cluster.url(service, path), body, {"Authorization": f"Bearer {token}"})


def wait_for(what, condition, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.5)


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_admin_configures_a_fresh_install_in_the_browser(open_page, cluster, admin_token, hooks, variant):
    width, lang = variant
    w = words(lang, "admin")
    s = uuid.uuid4().hex[:6]
    page = open_page(width, lang)
    sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")

    # components and groups, in order
    component_id, component = f"e2e-widgets-{s}", f"E2E Widgets {s}"
    page.fill("#new-component input[name=name]", component)
    page.fill("#new-component input[name=id]", component_id)
    assert_accessible(page, f"admin components ({lang}, {width} px)")
    page.click("#new-component button[type=submit]")
    said(page, w["a_created"].replace("{name}", component))
    for group in (f"E2E Europe {s}", f"E2E America {s}"):
        page.fill("#new-group input[name=name]", group)
        page.click("#new-group button[type=submit]")
        said(page, w["a_created"].replace("{name}", group))
    america = card(page, "group", f"E2E America {s}")
    america.get_by_role("button", name=w["a_move_up"].replace("{name}", f"E2E America {s}")).click()
    said(page, w["a_moved"].replace("{name}", f"E2E America {s}"))
    groups = {g["name"]: g for g in api(cluster, admin_token, "GET", "incidents", "/component-groups")[1]}
    assert groups[f"E2E America {s}"]["position"] < groups[f"E2E Europe {s}"]["position"]
    widget = page.locator(f'article[data-component="{component_id}"]')
    fold(widget, w["st_edit"]).locator("summary").click()
    fold(widget, w["st_edit"]).locator("select[name=group_id]").select_option(label=f"E2E Europe {s}")
    fold(widget, w["st_edit"]).get_by_role("button", name=w["st_save"], exact=True).click()
    said(page, w["a_saved"].replace("{name}", component))
    assert api(cluster, admin_token, "GET", "incidents", f"/components/{component_id}")[1]["group_id"] == groups[f"E2E Europe {s}"]["id"]

    # a check with conditions, run now: each condition's verdict
    page.get_by_role("tab", name=w["a_tab_checks"]).click()
    check = f"E2E frontend health {s}"
    page.fill("#new-check input[name=name]", check)
    page.fill("#new-check input[name=url]", f"{cluster.public}/healthz")
    page.locator("#new-check input[name=condition]").first.fill("[STATUS] == 200")
    page.locator("#new-check").get_by_role("button", name=w["a_condition_add"]).click()
    page.locator("#new-check input[name=condition]").last.fill('[BODY].status == "nope"')
    checked = create_check_and_run_it_now(page, w, page.locator("#new-check"), check, fails_with="[BODY].status (ok)")
    expect(checked.locator(".verdicts li").nth(0)).to_contain_text("[STATUS] == 200")
    assert_accessible(page, f"admin checks ({lang}, {width} px)")

    # a heartbeat on a cron schedule, previewed, its ping URL copied
    page.get_by_role("tab", name=w["a_tab_heartbeats"]).click()
    beat = f"E2E nightly backup {s}"
    page.fill("#new-heartbeat input[name=name]", beat)
    page.select_option("#new-heartbeat select[name=mode]", "schedule")
    page.fill("#new-heartbeat input[name=schedule]", "0 3 * * *")
    page.fill("#new-heartbeat input[name=tz]", "Europe/Paris")
    expect(page.locator("#new-heartbeat .preview li")).to_have_count(3)
    expect(page.locator("#new-heartbeat .preview li").first).to_contain_text("03:00")
    page.click("#new-heartbeat button[type=submit]")
    said(page, w["a_hb_created"].replace("{name}", beat))
    beat_card = card(page, "heartbeat", beat)
    beat_card.get_by_role("button", name=re.compile(re.escape(w["a_copy"]))).click()
    expect(beat_card.locator(".feedback")).to_have_text(w["a_copied"])
    [stored] = [b for b in api(cluster, admin_token, "GET", "csp-status", "/heartbeats")[1]["heartbeats"] if b["name"] == beat]
    assert page.evaluate("navigator.clipboard.readText()") == stored["ping_url"]
    assert stored["schedule"] == "0 3 * * *" and stored["tz"] == "Europe/Paris"

    # a provider by URL (the simulator serves a captured Statuspage payload), mapped to our component
    page.get_by_role("tab", name=w["a_tab_providers"]).click()
    simulator = f"http://127.0.0.1:{urlsplit(cluster.url('csp-status')).port - 5004 + 5099}"
    provider = f"E2E GitHub {s}"
    page.select_option("#new-provider select[name=source]", "custom")
    page.fill("#new-provider input[name=name]", provider)
    page.fill("#new-provider input[name=url]", f"{simulator}/fixtures/statuspage/rapid7_githubstatus_summary_ok_2019-12-30.json")
    page.click("#new-provider button[type=submit]")
    said(page, w["a_created"].replace("{name}", provider))
    polled = card(page, "provider", provider)
    polled.get_by_role("button", name=w["a_pr_poll"]).click()
    expect(page.locator("#feedback")).to_contain_text(provider, timeout=20_000)
    fold(polled, w["a_pr_mapping"]).locator("summary").click()
    mapping = fold(polled, w["a_pr_mapping"])
    mapping.locator("fieldset").first.get_by_label(component, exact=True).check()
    mapping.get_by_role("button", name=w["a_pr_save_mapping"]).click()
    said(page, w["a_pr_mapped"].replace("{name}", provider))
    [saved] = [p for p in api(cluster, admin_token, "GET", "csp-status", "/providers")[1]["providers"] if p["name"] == provider]
    assert saved["mappings"]["provider"] == [component_id] and saved["components"]

    # a channel, and a test sent to it
    hook = hooks(200)
    page.get_by_role("tab", name=w["a_tab_channels"]).click()
    channel = f"E2E on-call {s}"
    page.fill("#new-channel input[name=name]", channel)
    page.select_option("#new-channel select[name=kind]", "webhook")
    page.fill("#new-channel input[name=url]", f"webhook://{hook.host}/polystatus")
    page.click("#new-channel button[type=submit]")
    said(page, w["a_created"].replace("{name}", channel))
    tested = card(page, "channel", channel)
    channel_id = tested.get_attribute("data-channel")
    tested.get_by_role("button", name=w["a_ch_test"]).click()
    expect(tested.locator(".feedback")).to_have_text(w["a_ch_test_sent"], timeout=15_000)
    assert [body["meta"]["test"] for _, body in hook.bodies] == [True]

    # a flag rolled out to a quarter of people, then switched off
    page.get_by_role("tab", name=w["a_tab_flags"]).click()
    key = f"e2e-new-checkout-{s}"
    page.fill("#new-flag input[name=key]", key)
    page.fill("#new-flag input[name=rollout]", "25")
    expect(page.locator("#new-flag output")).to_have_text("25 %")
    page.click("#new-flag button[type=submit]")
    said(page, w["a_created"].replace("{name}", key))
    flag = api(cluster, admin_token, "GET", "feature-flags", f"/flags/{key}")[1]
    assert flag["rules"] == [{"split": {"on": 25, "off": 75}}] and flag["enabled"] is True
    switch = page.locator(f'[data-flag-switch="{key}"]')
    switch.uncheck()
    confirm(page, w["a_fl_kill"])
    said(page, w["a_fl_off"].replace("{key}", key))
    assert api(cluster, admin_token, "GET", "feature-flags", f"/flags/{key}")[1]["enabled"] is False
    flagged = page.locator(f'article[data-flag="{key}"]')
    fold(flagged, w["a_fl_audit"]).locator("summary").click()
    expect(fold(flagged, w["a_fl_audit"]).locator("li")).to_have_count(2)
    expect(fold(flagged, w["a_fl_audit"]).locator("li").first).to_contain_text(ADMIN["email"])
    assert_accessible(page, f"admin flags ({lang}, {width} px)")

    # a role change, confirmed; a refused one shows the role the account really has
    dan = f"e2e-dan-{s}@example.com"
    assert request("POST", cluster.url("users", "/users"), {"email": dan, "password": "a long passphrase 2026"})[0] == 201
    page.get_by_role("tab", name=w["a_tab_users"]).click()
    role = page.locator(f'select[data-user="{dan}"]')
    expect(page.locator("select[data-user]").first).to_be_visible()
    while not role.count():
        page.locator(".pager button").last.click()
        page.wait_for_timeout(300)
    role.select_option("staff")
    confirm(page, w["a_us_change_role"])
    said(page, w["a_us_role_changed"].replace("{email}", dan).replace("{role}", w["role_staff"]))
    users, page_no = [], 1
    while True:
        chunk = api(cluster, admin_token, "GET", "users", f"/users?per_page=200&page={page_no}")[1]
        users += chunk["users"]
        if len(users) >= chunk["total"]:
            break
        page_no += 1
    assert {u["email"]: u["role"] for u in users}[dan] == "staff"
    assert [u["email"] for u in users if u["role"] == "admin"] == [ADMIN["email"]], "the refusal below needs alice to be the last admin"
    while page.locator(".pager button").count() and page.locator(".pager button").first.is_enabled():
        page.locator(".pager button").first.click()  # back to the first page, where alice is
        page.wait_for_timeout(300)
    mine = page.locator(f'select[data-user="{ADMIN["email"]}"]')
    mine.select_option("user")
    confirm(page, w["a_us_change_role"])
    expect(page.locator("#feedback")).to_contain_text(
        w["a_us_role_is"].replace("{email}", ADMIN["email"]).replace("{role}", w["role_admin"]))
    expect(mine).to_have_value("admin")

    # a dead letter (a channel that refuses), retried once the channel is fixed
    broken = hooks(400)
    status, dead_channel, _ = api(cluster, admin_token, "POST", "comms", "/channels", {
        "name": f"E2E broken hook {s}", "url": f"webhook://{broken.host}/x", "events": ["incident.created"]})
    assert status == 201
    try:
        status, incident, _ = api(cluster, admin_token, "POST", "incidents", "/incidents", {
            "name": f"E2E dead letter {s}", "status": "investigating", "message": "Testing dead letters."})
        assert status == 201
        wait_for("a dead letter", lambda: any(d.get("channel_name") == f"E2E broken hook {s}" for d in api(
            cluster, admin_token, "GET", "comms", "/dead-letters?per_page=200")[1]["deliveries"]))
        broken.status = 200
        page.get_by_role("tab", name=w["a_tab_dead-letters"]).click()
        row = page.locator("tr").filter(has_text=f"E2E broken hook {s}")
        expect(row).to_contain_text("HTTP 400")
        assert_accessible(page, f"admin dead letters ({lang}, {width} px)")
        row.get_by_role("button", name=w["a_dl_retry"]).click()
        said(page, w["a_dl_retried"].replace("{name}", f"E2E broken hook {s}"))
        wait_for("the retried delivery", lambda: len(broken.bodies) == 2, timeout=60)
        api(cluster, admin_token, "POST", "incidents", f"/incidents/{incident['id']}/updates",
            {"status": "resolved", "message": "Done."})
    finally:
        api(cluster, admin_token, "DELETE", "comms", f"/channels/{dead_channel['id']}")
        api(cluster, admin_token, "DELETE", "comms", f"/channels/{channel_id}")
    assert_fits(page, "the admin pages")


def test_staff_who_are_not_admins_are_told_the_admin_pages_are_not_theirs(open_page):
    page = open_page(1280, "en")
    sign_in(page, "bob@example.com", "polystatus-demo-2026", "/console")
    page.goto("/admin")
    expect(page.get_by_role("alert")).to_have_text(words("en", "admin")["st_need_admin"])
    assert page.locator("#new-component").count() == 0
