"""What an admin does for other people's access, in a real Chromium at 1280 px in English and
390 px in French (issues 19 and 20): resets the two-factor sign-in of someone who lost their
phone (after a confirmation; they then sign in with their password alone), creates a service
API key (its secret shown once, copied, and working), makes and revokes a read token of the
private page, deletes a segment once no flag uses it (refused, naming the flag, before), and
empties optional fields of a check, which saving clears. axe-core on every new state."""
from __future__ import annotations

import time
import uuid

import pyotp
import pytest
from conftest import ADMIN, request
from playwright.sync_api import expect
from staff_pages import VARIANTS, assert_accessible, assert_fits, card, fold, open_page, said, sign_in, words

__all__ = ["open_page"]  # a fixture
PASSWORD = "lost my phone again 2026"


def api(cluster, token, method, service, path, body=None):
    status, answer, _ = request(method, cluster.url(service, path), body, {"Authorization": f"Bearer {token}"})
    return status, answer


def person_with_two_factor(cluster) -> str:
    """A new account that has turned two-factor sign-in on (through the API, as /account does)."""
    email = f"e2e-totp-{uuid.uuid4().hex[:8]}@example.com"
    assert request("POST", cluster.url("users", "/users"), {"email": email, "password": PASSWORD})[0] == 201
    status, tokens, _ = request("POST", cluster.url("users", "/auth/login"), {"email": email, "password": PASSWORD})
    assert status == 200, tokens
    status, setup = api(cluster, tokens["access_token"], "POST", "users", "/auth/totp/setup")
    assert status == 200, setup
    code = pyotp.TOTP(setup["secret"]).at(time.time())
    status, answer = api(cluster, tokens["access_token"], "POST", "users", "/auth/totp/enable", {"code": code})
    assert status == 201, answer
    return email


def user_row(page, w, email: str):
    search = page.get_by_role("search")
    search.get_by_label(w["a_us_search_label"]).fill(email)
    search.get_by_role("button", name=w["a_us_search"]).click()
    expect(page.locator("select[data-user]")).to_have_count(1)
    return page.locator("tr").filter(has=page.locator(f'select[data-user="{email}"]'))


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_admin_resets_the_two_factor_sign_in_of_a_person_who_then_signs_in_with_the_password(
        open_page, cluster, variant):
    width, lang = variant
    w = words(lang, "admin")
    email = person_with_two_factor(cluster)
    status, answer, _ = request("POST", cluster.url("users", "/auth/login"), {"email": email, "password": PASSWORD})
    assert status == 200 and answer.get("mfa_required") is True

    page = open_page(width, lang)
    sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")
    page.get_by_role("tab", name=w["a_tab_users"]).click()
    row = user_row(page, w, email)
    expect(row.locator("[data-totp=on]")).to_contain_text(w["a_us_totp_on"])
    assert_accessible(page, f"the users tab with two-factor shown ({lang}, {width} px)")
    # declined: nothing changes
    row.get_by_role("button", name=w["a_us_totp_reset"]).click()
    expect(page.locator("dialog[open]")).to_contain_text(w["a_us_totp_reset_detail"])
    assert_accessible(page, f"the two-factor reset question ({lang}, {width} px)")
    page.locator("dialog[open]").get_by_role("button", name=w["st_cancel"]).click()
    expect(row.locator("[data-totp=on]")).to_have_count(1)
    # confirmed: said, shown, and the password alone signs in
    row.get_by_role("button", name=w["a_us_totp_reset"]).click()
    page.locator("dialog[open]").get_by_role("button", name=w["a_us_totp_reset"]).click()
    said(page, w["a_us_totp_was_reset"].replace("{email}", email))
    row = user_row(page, w, email)
    expect(row.locator("[data-totp=off]")).to_have_text(w["a_us_totp_off"])
    expect(row.get_by_role("button", name=w["a_us_totp_reset"])).to_have_count(0)
    status, answer, _ = request("POST", cluster.url("users", "/auth/login"), {"email": email, "password": PASSWORD})
    assert status == 200 and answer["access_token"] and "mfa_required" not in answer
    assert_fits(page, f"the users tab ({lang}, {width} px)")


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_admin_creates_a_service_key_whose_secret_is_shown_once_copied_and_works(
        open_page, cluster, admin_token, variant):
    width, lang = variant
    w = words(lang, "admin", "keys")
    name = f"E2E deploys {uuid.uuid4().hex[:6]}"
    page = open_page(width, lang)
    sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")
    page.get_by_role("tab", name=w["a_tab_api-keys"]).click()
    form = page.locator("#new-service-key")
    form.get_by_label(w["key_name"]).fill(name)
    # a user-role key cannot write incidents: the box is not offered; staff may
    form.get_by_label(w["a_key_role"]).select_option("user")
    expect(form.locator("#scope-incidents-write")).to_have_count(0)
    form.get_by_label(w["a_key_role"]).select_option("staff")
    form.locator("#scope-incidents-read").check()
    form.locator("#scope-incidents-write").check()
    form.get_by_label(w["key_expiry"]).select_option("30")
    assert_accessible(page, f"the service key form ({lang}, {width} px)")
    form.get_by_role("button", name=w["a_key_create"]).click()
    said(page, w["a_key_made"].replace("{name}", name))
    secret_box = page.locator("#service-key-secret")
    expect(secret_box).to_be_focused()
    secret = secret_box.input_value()
    assert secret.startswith("psk_")
    page.locator("#service-key-copy").click()
    expect(page.locator(".key-once .feedback")).to_have_text(w["key_copied"])
    assert page.evaluate("navigator.clipboard.readText()") == secret
    row = page.locator("tr").filter(has_text=name)
    expect(row).to_contain_text(w["a_key_service"].replace("{role}", "staff"))
    expect(row).to_contain_text("incidents:read, incidents:write")
    assert_accessible(page, f"a service key shown once ({lang}, {width} px)")
    assert_fits(page, f"the API keys tab ({lang}, {width} px)")
    # the key works, with the role and scopes chosen
    status, _, _ = request("GET", cluster.url("incidents", "/incident-templates"), None, {"X-Api-Key": secret})
    assert status == 200
    status, _, _ = request("GET", cluster.url("users", "/users"), None, {"X-Api-Key": secret})
    assert status == 403
    # a redraw never shows it again; revoked after a confirmation
    page.reload()
    row = page.locator("tr").filter(has_text=name)
    expect(row).to_have_count(1)
    assert page.locator("#service-key-secret").count() == 0 and secret not in page.content()
    row.get_by_role("button", name=w["a_key_revoke"]).click()
    page.locator("dialog[open]").get_by_role("button", name=w["a_key_revoke"]).click()
    said(page, w["a_key_revoked"].replace("{name}", name))
    expect(page.locator("tr").filter(has_text=name)).to_have_count(0)


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_admin_makes_lists_and_revokes_a_read_token_of_the_private_page(open_page, cluster, admin_token, variant):
    width, lang = variant
    w = words(lang, "admin", "keys")
    name = f"E2E wallboard {uuid.uuid4().hex[:6]}"
    page = open_page(width, lang)
    sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")
    page.get_by_role("tab", name=w["a_tab_page-tokens"]).click()
    form = page.locator("#new-page-token")
    form.get_by_label(w["a_pt_name"]).fill(name)
    form.get_by_role("button", name=w["a_pt_create"]).click()
    said(page, w["a_pt_made"].replace("{name}", name))
    token = page.locator("#page-token-secret").input_value()
    assert token.startswith("psr_")
    expect(page.locator("#page-token-copy")).to_have_text(w["a_pt_copy"])
    row = page.locator("tr").filter(has_text=name)
    expect(row).to_have_count(1)
    assert_accessible(page, f"a read token shown once ({lang}, {width} px)")
    assert_fits(page, f"the page tokens tab ({lang}, {width} px)")
    [made] = [x for x in api(cluster, admin_token, "GET", "users", "/page-tokens")[1]["tokens"] if x["name"] == name]
    # declined, then confirmed
    row.get_by_role("button", name=w["a_pt_revoke"]).click()
    page.locator("dialog[open]").get_by_role("button", name=w["st_cancel"]).click()
    expect(row).to_have_count(1)
    row.get_by_role("button", name=w["a_pt_revoke"]).click()
    page.locator("dialog[open]").get_by_role("button", name=w["a_pt_revoke"]).click()
    said(page, w["a_pt_revoked"].replace("{name}", name))
    expect(page.locator("tr").filter(has_text=name)).to_have_count(0)
    assert made["id"] not in [x["id"] for x in api(cluster, admin_token, "GET", "users", "/page-tokens")[1]["tokens"]]


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_admin_deletes_a_segment_once_no_flag_uses_it(open_page, cluster, admin_token, variant):
    width, lang = variant
    w = words(lang, "admin")
    s = uuid.uuid4().hex[:6]
    segment, flag = f"e2e-gone-{s}", f"e2e-uses-{s}"
    assert api(cluster, admin_token, "POST", "feature-flags", "/segments",
               {"key": segment, "when": {"attribute": "plan", "op": "equals", "value": "pro"}})[0] == 201
    assert api(cluster, admin_token, "POST", "feature-flags", "/flags", {
        "key": flag, "type": "boolean", "variants": {"on": True, "off": False}, "default_variant": "off",
        "rules": [{"when": {"segment": segment}, "variant": "on"}]})[0] == 201
    page = open_page(width, lang)
    sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")
    page.get_by_role("tab", name=w["a_tab_flags"]).click()
    listed = page.locator(f'li[data-segment="{segment}"]')
    delete = listed.get_by_role("button", name=w["a_fl_segment_delete"].replace("{key}", segment))
    # refused while the flag's rule uses it, and the message names the flag
    delete.click()
    page.locator("dialog[open]").get_by_role("button", name=w["st_delete"]).click()
    expect(page.locator("#feedback")).to_have_text(
        w["a_fl_segment_in_use"].replace("{key}", segment).replace("{users}", f"{w['a_fl_flag']} {flag}"), timeout=15_000)
    expect(listed).to_have_count(1)
    assert_accessible(page, f"a segment still in use ({lang}, {width} px)")
    # once the flag no longer uses it, it goes
    assert api(cluster, admin_token, "DELETE", "feature-flags", f"/flags/{flag}")[0] == 204
    delete.click()
    page.locator("dialog[open]").get_by_role("button", name=w["st_delete"]).click()
    said(page, w["a_fl_segment_deleted"].replace("{key}", segment))
    expect(listed).to_have_count(0)
    assert segment not in [x["key"] for x in api(cluster, admin_token, "GET", "feature-flags", "/segments")[1]]
    assert_fits(page, f"the flags tab ({lang}, {width} px)")


@pytest.mark.parametrize("variant", VARIANTS)
def test_emptying_optional_fields_of_a_check_in_the_form_clears_them_when_saved(open_page, cluster, admin_token, variant):
    width, lang = variant
    w = words(lang, "admin")
    name = f"E2E clearable {uuid.uuid4().hex[:6]}"
    status, check = api(cluster, admin_token, "POST", "csp-status", "/checks", {
        "name": name, "kind": "assertions", "url": f"{cluster.public}/healthz", "method": "POST", "body": '{"ping": true}',
        "headers": {"X-Api-Key": "e2e-header"}, "bearer_token": "e2e-token", "conditions": ["[STATUS] == 200"]})
    assert status == 201, check
    try:
        page = open_page(width, lang)
        sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")
        page.get_by_role("tab", name=w["a_tab_checks"]).click()
        checked = card(page, "check", name)
        fold(checked, w["st_edit"]).locator("summary").click()
        editor = fold(checked, w["st_edit"])
        expect(editor.locator("textarea[name=body]")).to_have_value('{"ping": true}')
        editor.locator("textarea[name=body]").fill("")
        editor.get_by_role("button", name=f"{w['st_remove']}: X-Api-Key").click()
        editor.get_by_label(w["a_bearer_drop"]).check()
        assert_accessible(page, f"a check's edit form, emptied ({lang}, {width} px)")
        editor.get_by_role("button", name=w["st_save"], exact=True).click()
        said(page, w["a_saved"].replace("{name}", name))
        settings = api(cluster, admin_token, "GET", "csp-status", f"/checks/{check['id']}/config")[1]
        assert "body" not in settings and settings["headers"] == [] and settings["has_bearer_token"] is False
        assert settings["method"] == "POST" and settings["conditions"] == ["[STATUS] == 200"]  # what was kept stays
        # the form drawn again shows them empty
        checked = card(page, "check", name)
        fold(checked, w["st_edit"]).locator("summary").click()
        editor = fold(checked, w["st_edit"])
        expect(editor.locator("textarea[name=body]")).to_have_value("")
        expect(editor.get_by_label(w["a_bearer_drop"])).to_be_hidden()
    finally:
        api(cluster, admin_token, "DELETE", "csp-status", f"/checks/{check['id']}")
