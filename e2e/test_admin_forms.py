"""The admin's forms for what a check sends and where alerts go, in a real Chromium: alice
builds an HTTP check that PUTs a body with a secret header (certificate checks off), runs it
now and reads each condition's verdict while a server on loopback sees exactly what was sent;
editing the check shows the header's name but never its value, and saving keeps it. Then she
connects a Sentry project from its DSN, environment, organisation and token, and "Send a test"
reaches a Sentry server on loopback."""
from __future__ import annotations

import json
import uuid

import pytest
from conftest import ADMIN, request
from playwright.sync_api import expect
from polystatus.testing import JSONServer, SentryReceiver
from staff_pages import (
    VARIANTS,
    assert_accessible,
    assert_fits,
    card,
    create_check_and_run_it_now,
    fold,
    open_page,
    said,
    sign_in,
    words,
)

__all__ = ["open_page"]  # a fixture


@pytest.fixture()
def echo():
    """An HTTP endpoint that keeps every request it gets and answers {"status": "ok"}."""
    seen = []

    def handle(method, path, headers, body):
        seen.append({"method": method, "path": path, "headers": dict(headers), "body": body.decode()})
        return 200, {"status": "ok"}

    server = JSONServer(handle)
    server.seen = seen
    yield server
    server.stop()


@pytest.fixture()
def sentry():
    receiver = SentryReceiver()
    yield receiver
    receiver.stop()


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_admin_sends_a_body_and_a_secret_header_with_a_check_and_tests_a_sentry_channel(
        open_page, cluster, admin_token, echo, sentry, variant):
    width, lang = variant
    w = words(lang, "admin")
    s = uuid.uuid4().hex[:6]
    secret = f"header-secret-{s}"
    page = open_page(width, lang)
    sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")
    page.get_by_role("tab", name=w["a_tab_checks"]).click()

    form = page.locator("#new-check")
    name = f"E2E inventory push {s}"
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=url]").fill(f"{echo.url}/inventory")
    form.locator("select[name=method]").select_option("PUT")
    form.locator("textarea[name=body]").fill('{"ping": true}')
    form.get_by_role("button", name=w["a_header_add"]).click()
    form.get_by_label(w["a_header_name_n"].replace("{n}", "1")).fill("X-Api-Key")
    form.get_by_label(w["a_header_value_n"].replace("{n}", "1")).fill(secret)
    form.get_by_label(w["a_insecure"]).check()
    form.locator("input[name=condition]").first.fill("[STATUS] == 200")
    form.get_by_role("button", name=w["a_condition_add"]).click()
    form.locator("input[name=condition]").last.fill("[BODY].status == down")
    # the fields of other kinds are not shown for an HTTP check
    expect(form.locator("input[name=dsn]")).to_be_hidden()
    expect(form.locator("input[name=packets]")).to_be_hidden()
    assert_accessible(page, f"the new check form with headers ({lang}, {width} px)")
    checked = create_check_and_run_it_now(page, w, form, name, fails_with="[BODY].status (ok) == down")
    assert echo.seen, "the check never reached the endpoint"
    for sent in echo.seen:  # "Run now", and the scheduler's first run of a new check
        assert sent["method"] == "PUT" and sent["path"] == "/inventory" and json.loads(sent["body"]) == {"ping": True}
        assert sent["headers"].get("X-Api-Key") == secret

    # editing: the header's name is there, its value is not on the page, and saving keeps it
    fold(checked, w["st_edit"]).locator("summary").click()
    editor = fold(checked, w["st_edit"])
    expect(editor.get_by_label(w["a_header_name_n"].replace("{n}", "1"))).to_have_value("X-Api-Key")
    expect(editor.get_by_label(w["a_header_value_n"].replace("{n}", "1"))).to_have_value("")
    expect(editor.get_by_label(w["a_insecure"])).to_be_checked()
    expect(editor.locator("select[name=method]")).to_have_value("PUT")
    assert secret not in page.content()
    editor.locator("input[name=condition]").last.fill("[BODY].status == ok")
    editor.get_by_role("button", name=w["st_save"], exact=True).click()
    said(page, w["a_saved"].replace("{name}", name))
    checked = card(page, "check", name)
    checked.get_by_role("button", name=w["a_run_now"]).click()
    expect(checked.locator(".verdicts li.holds")).to_have_count(2, timeout=20_000)
    assert echo.seen[-1]["headers"].get("X-Api-Key") == secret

    # changing the headers asks for every value again (they are replaced together)
    editor = fold(checked, w["st_edit"])
    if editor.get_attribute("open") is None:
        editor.locator("summary").click()
    editor.get_by_role("button", name=w["a_header_add"]).click()
    editor.get_by_label(w["a_header_name_n"].replace("{n}", "2")).fill("X-Trace")
    editor.get_by_label(w["a_header_value_n"].replace("{n}", "2")).fill("1")
    editor.get_by_role("button", name=w["st_save"], exact=True).click()
    expect(page.locator("#feedback")).to_have_text(w["a_header_value_missing"].replace("{name}", "X-Api-Key"))
    checks = request("GET", cluster.url("csp-status", "/checks"), None)[1]["checks"]
    check_id = next(c["id"] for c in checks if c["name"] == name)
    auth = {"Authorization": f"Bearer {admin_token}"}
    settings = request("GET", cluster.url("csp-status", f"/checks/{check_id}/config"), None, auth)[1]
    assert settings["headers"] == ["X-Api-Key"] and settings["insecure"] is True and settings["method"] == "PUT"
    request("DELETE", cluster.url("csp-status", f"/checks/{check_id}"), None, auth)

    # a Sentry channel from its parts, and a test that reaches it
    page.get_by_role("tab", name=w["a_tab_channels"]).click()
    new = page.locator("#new-channel")
    channel = f"E2E Sentry {s}"
    new.locator("input[name=name]").fill(channel)
    new.locator("select[name=kind]").select_option("sentry")
    expect(new.locator("input[name=url]")).to_be_hidden()
    new.get_by_label(w["a_ch_dsn"]).fill(sentry.dsn)
    new.get_by_label(w["a_ch_environment"]).fill("e2e")
    new.get_by_label(w["a_ch_org"]).fill(sentry.org)
    new.get_by_label(w["a_ch_token"]).fill(sentry.token)
    new.get_by_label(w["a_ch_api"]).fill(sentry.api_url)
    assert_accessible(page, f"the Sentry channel form ({lang}, {width} px)")
    new.locator("button[type=submit]").click()
    said(page, w["a_created"].replace("{name}", channel))
    tested = card(page, "channel", channel)
    channel_id = tested.get_attribute("data-channel")
    try:
        assert sentry.key not in page.content() and sentry.token not in page.content()
        tested.get_by_role("button", name=w["a_ch_test"]).click()
        expect(tested.locator(".feedback")).to_have_text(w["a_ch_test_sent"], timeout=15_000)
        [event] = sentry.wait_for(lambda receiver: receiver.events, timeout=10)
        assert event["level"] == "info" and event["environment"] == "e2e"
        assert_fits(page, f"the channels tab ({lang}, {width} px)")
    finally:
        request("DELETE", cluster.url("comms", f"/channels/{channel_id}"), None, auth)


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_admin_defines_a_segment_and_targets_it_from_a_flag_beside_a_rollout(open_page, cluster, admin_token, variant):
    width, lang = variant
    w = words(lang, "admin")
    s = uuid.uuid4().hex[:6]
    auth = {"Authorization": f"Bearer {admin_token}"}
    page = open_page(width, lang)
    sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")

    page.get_by_role("tab", name=w["a_tab_flags"]).click()
    segment = f"e2e-beta-{s}"
    form = page.locator("#new-segment")
    form.locator("input[name=segment-key]").fill(segment)
    form.locator("input[name=segment-description]").fill("People trying things first")
    form.locator("select[name=match]").select_option("any")
    form.locator("input[name=attribute]").first.fill("plan")
    form.locator("select[name=op]").first.select_option("in")
    form.locator("input[name=value]").first.fill("pro, team")
    form.get_by_role("button", name=w["a_condition_add"]).click()
    form.locator("input[name=attribute]").last.fill("email")
    form.locator("select[name=op]").last.select_option("ends_with")
    form.locator("input[name=value]").last.fill("@example.com")
    form.locator("button[type=submit]").click()
    said(page, w["a_fl_segment_saved"].replace("{key}", segment))
    listed = page.locator(f'li[data-segment="{segment}"]')
    expect(listed).to_contain_text(f"plan in pro, team {w['a_fl_or']} email ends_with @example.com")
    [stored] = [x for x in request("GET", cluster.url("feature-flags", "/segments"), None, auth)[1] if x["key"] == segment]
    assert stored["when"] == {"any": [{"attribute": "plan", "op": "in", "value": ["pro", "team"]},
                                      {"attribute": "email", "op": "ends_with", "value": "@example.com"}]}

    # a flag: the segment gets "on", a country gets "off", a tenth of the others get "on"
    key = f"e2e-dark-mode-{s}"
    new = page.locator("#new-flag")
    new.locator("input[name=key]").fill(key)
    new.get_by_role("button", name=w["a_fl_segment_rule_add"]).click()
    new.locator("select[name=segment]").select_option(segment)
    new.locator("select[name=variant]").last.select_option("on")
    new.get_by_role("button", name=w["a_fl_rule_add"], exact=True).click()
    new.locator("input[name=attribute]").fill("country")
    new.locator("input[name=value]").fill("FR")
    new.locator("select[name=variant]").last.select_option("off")
    new.locator("input[name=rollout]").fill("10")
    assert_accessible(page, f"the flags and segments tab ({lang}, {width} px)")
    new.locator("button[type=submit]").click()
    said(page, w["a_created"].replace("{name}", key))
    flag = request("GET", cluster.url("feature-flags", f"/flags/{key}"), None, auth)[1]
    assert flag["rules"] == [{"when": {"segment": segment}, "variant": "on"},
                             {"when": {"attribute": "country", "op": "equals", "value": "FR"}, "variant": "off"},
                             {"split": {"on": 10, "off": 90}}]

    # editing it shows the segment rule as it is, and saving keeps every rule in its order
    flagged = page.locator(f'article[data-flag="{key}"]')
    fold(flagged, w["st_edit"]).locator("summary").click()
    edit = fold(flagged, w["st_edit"])
    expect(edit.locator("select[name=segment]")).to_have_value(segment)
    expect(edit.locator("input[name=rollout]")).to_have_value("10")
    edit.get_by_role("button", name=w["st_save"], exact=True).click()
    said(page, w["a_saved"].replace("{name}", key))
    assert request("GET", cluster.url("feature-flags", f"/flags/{key}"), None, auth)[1]["rules"] == flag["rules"]
    assert_fits(page, f"the flags tab ({lang}, {width} px)")
    request("DELETE", cluster.url("feature-flags", f"/flags/{key}"), None, auth)


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_admin_finds_an_account_by_part_of_its_email_and_changes_its_role_after_confirming(
        open_page, cluster, admin_token, variant):
    width, lang = variant
    w = words(lang, "admin")
    s = uuid.uuid4().hex[:6]
    erin = f"e2e-erin-{s}@example.com"
    assert request("POST", cluster.url("users", "/users"), {"email": erin, "password": "a long passphrase 2026",
                                                           "display_name": f"Erin {s}"})[0] == 201
    page = open_page(width, lang)
    sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")
    page.get_by_role("tab", name=w["a_tab_users"]).click()
    search = page.get_by_role("search")
    search.get_by_label(w["a_us_search_label"]).fill(f"ERIN-{s}")
    search.get_by_role("button", name=w["a_us_search"]).click()
    expect(page.get_by_role("status").filter(has_text=w["a_us_found"].replace("{n}", "1"))).to_be_visible()
    expect(page.locator("select[data-user]")).to_have_count(1)
    role = page.locator(f'select[data-user="{erin}"]')
    assert_accessible(page, f"the users search ({lang}, {width} px)")

    # cancelled: nothing changes; confirmed: the new role, said and stored
    role.select_option("staff")
    page.locator("dialog[open]").get_by_role("button", name=w["st_cancel"]).click()
    expect(role).to_have_value("user")
    role.select_option("staff")
    page.locator("dialog[open]").get_by_role("button", name=w["a_us_change_role"]).click()
    said(page, w["a_us_role_changed"].replace("{email}", erin).replace("{role}", w["role_staff"]))
    expect(role).to_have_value("staff")

    # the role filter finds her among staff, and not among users
    search.get_by_label(w["a_us_role"], exact=True).select_option("staff")
    expect(page.locator(f'select[data-user="{erin}"]')).to_have_count(1)
    search.get_by_label(w["a_us_role"], exact=True).select_option("user")
    expect(page.locator(".empty")).to_contain_text(w["a_us_none_found"])

    # a refused change (the last admin demoting herself) shows the role she still has
    search.get_by_label(w["a_us_search_label"]).fill(ADMIN["email"])
    search.get_by_label(w["a_us_role"], exact=True).select_option("")
    mine = page.locator(f'select[data-user="{ADMIN["email"]}"]')
    expect(mine).to_have_count(1)
    expect(page.locator("select[data-user]")).to_have_count(1)
    mine.select_option("user")
    page.locator("dialog[open]").get_by_role("button", name=w["a_us_change_role"]).click()
    expect(page.locator("#feedback")).to_contain_text(
        w["a_us_role_is"].replace("{email}", ADMIN["email"]).replace("{role}", w["role_admin"]))
    expect(mine).to_have_value("admin")
    assert_fits(page, f"the users tab ({lang}, {width} px)")
