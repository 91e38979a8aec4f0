"""The check kinds that ask a database or a host, in a real Chromium: alice creates a sql check
against the machine's PostgreSQL, a redis check against a throw-away redis-server and an icmp
check in the admin form, runs them now (each condition's verdict, a NULL shown as NULL), finds
the DSN's password masked when she edits the check and kept when she saves it, and a visitor
sees the three checks on the public page."""
from __future__ import annotations

import json
import uuid

import pytest
import redis
from conftest import ADMIN, request
from playwright.sync_api import expect
from staff_pages import VARIANTS, assert_accessible, card, create_check_and_run_it_now, open_page, said, sign_in, words
from test_public_pages import wait_for

__all__ = ["open_page"]  # a fixture


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_admin_creates_sql_redis_and_icmp_checks_in_the_browser_and_the_public_page_shows_them(
        open_page, cluster, admin_token, postgres_port, redis_server, variant):
    width, lang = variant
    w, public = words(lang, "admin"), words(lang, "public")
    s = uuid.uuid4().hex[:6]
    page = open_page(width, lang)
    sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")
    page.get_by_role("tab", name=w["a_tab_checks"]).click()

    # sql: the form shows the kind's own fields and its example condition
    form = page.locator("#new-check")
    form.locator("select[name=kind]").select_option("sql")
    expect(form.locator("input[name=url]")).to_be_hidden()
    expect(form.locator("input[name=dsn]")).to_be_visible()
    expect(form.locator("input[name=condition]").first).to_have_value("[ROW_COUNT] >= 1")
    name = f"E2E orders DB {s}"
    secret = f"never-shown-{s}"
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=dsn]").fill(f"postgresql://postgres:{secret}@127.0.0.1:{postgres_port}/test")
    form.locator("textarea[name=query]").fill("SELECT 'ok' AS status, NULL AS note")
    form.locator("input[name=condition]").first.fill("[ROWS][0].status == ok")
    form.get_by_role("button", name=w["a_condition_add"]).click()
    form.locator("input[name=condition]").last.fill("[ROWS][0].note == filled")
    assert_accessible(page, f"admin sql check form ({lang}, {width} px)")
    checked = create_check_and_run_it_now(page, w, form, name, fails_with="[ROWS][0].note (NULL) == filled")

    # editing it: the password is masked, never on the page, and kept when saved unchanged
    checked.locator("details summary").click()
    dsn = checked.locator("input[name=dsn]")
    expect(dsn).to_have_value(f"postgresql://postgres:****@127.0.0.1:{postgres_port}/test")
    assert secret not in page.content()
    checked.locator("input[name=condition]").last.fill("[ROWS][0].note == NULL")
    checked.get_by_role("button", name=w["st_save"], exact=True).click()
    said(page, w["a_saved"].replace("{name}", name))
    checks = request("GET", cluster.url("csp-status", "/checks"), None)[1]["checks"]
    check_id = next(c["id"] for c in checks if c["name"] == name)
    status, settings, _ = request("GET", cluster.url("csp-status", f"/checks/{check_id}/config"), None,
                                  {"Authorization": f"Bearer {admin_token}"})
    assert status == 200 and settings["dsn"].endswith(f":****@127.0.0.1:{postgres_port}/test")
    assert settings["conditions"] == ["[ROWS][0].status == ok", "[ROWS][0].note == NULL"]
    checked = card(page, "check", name)
    checked.get_by_role("button", name=w["a_run_now"]).click()
    expect(checked.locator(".verdicts li.holds")).to_have_count(2, timeout=20_000)

    # redis: a read command on the session's throw-away redis-server (polystatus.testing), whose
    # JSON answer is walked by the conditions like the sql rows
    key = f"e2e:status:{s}"
    redis.Redis(port=redis_server.port, db=9).set(key, json.dumps({"status": "ok", "note": None}))
    form = page.locator("#new-check")
    form.locator("select[name=kind]").select_option("redis")
    expect(form.locator("textarea[name=query]")).to_be_hidden()
    expect(form.locator("input[name=command]")).to_be_visible()
    expect(form.locator("input[name=condition]").first).to_have_value("[RESULT] == PONG")
    cache = f"E2E cache {s}"
    form.locator("input[name=name]").fill(cache)
    form.locator("input[name=dsn]").fill(redis_server.url(9))
    form.locator("input[name=command]").fill(f"GET {key}")
    form.locator("input[name=condition]").first.fill("[RESULT].status == ok")
    form.get_by_role("button", name=w["a_condition_add"]).click()
    form.locator("input[name=condition]").last.fill("[RESULT].note == filled")
    create_check_and_run_it_now(page, w, form, cache, fails_with="[RESULT].note (NULL) == filled")

    # icmp: a host and its packets
    form = page.locator("#new-check")
    form.locator("select[name=kind]").select_option("icmp")
    expect(form.locator("input[name=dsn]")).to_be_hidden()
    ping = f"E2E loopback ping {s}"
    form.locator("input[name=name]").fill(ping)
    form.locator("input[name=host]").fill("127.0.0.1")
    expect(form.locator("input[name=condition]").first).to_have_value("[PACKET_LOSS] < 50")
    form.locator("button[type=submit]").click()
    said(page, w["a_created"].replace("{name}", ping))
    pinged = card(page, "check", ping)
    pinged.get_by_role("button", name=w["a_run_now"]).click()
    expect(pinged.locator(".verdicts li.holds")).to_have_count(1, timeout=20_000)

    # the public page lists the three; each check's page names its kind
    visitor = open_page(width, lang)
    assert wait_for(visitor, "/", f'a.cname:text-is("{ping}")').count() == 1
    wait_for(visitor, "/", f'a.cname:text-is("{cache}")').click()
    expect(visitor.locator("main")).to_contain_text(public["kind_redis"])
    wait_for(visitor, "/", f'a.cname:text-is("{name}")').click()
    expect(visitor.locator("main")).to_contain_text(public["kind_sql"])
    assert secret not in visitor.content() and "postgres:" not in visitor.content()
