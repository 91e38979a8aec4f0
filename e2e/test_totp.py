"""Two-factor sign-in end to end in Chromium (issue 20): set up on /account with the secret the
page shows, the recovery codes shown once, then signing in with a code from the app and with a
recovery code; axe-core on each step."""
from __future__ import annotations

import re
import time
import uuid

import pyotp
from browsing import axe_violations, page_width, with_axe
from conftest import request

PASSWORD = "two factors are better 2026"


def fresh_code(secret: str, used_steps: set) -> str:
    """A code of a 30-second step not used yet (each step signs in once)."""
    while int(time.time() // 30) in used_steps:
        time.sleep(0.5)
    step = int(time.time() // 30)
    used_steps.add(step)
    return pyotp.TOTP(secret).at(step * 30)


def check(page, what: str) -> None:
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == [], what
    width, viewport = page_width(page)
    assert width <= viewport, f"{what}: {width} px wide on {viewport}"


def sign_in_with_password(page, address: str) -> None:
    page.goto("/login")
    page.fill("#email", address)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_a_person_turns_on_two_factor_and_signs_in_with_a_code_then_a_recovery_code(cluster, browser):
    address = f"totp-{uuid.uuid4().hex[:8]}@example.com"
    status, body, _ = request("POST", cluster.url("users", "/users"), {"email": address, "password": PASSWORD})
    assert status == 201, body
    context = browser.new_context(base_url=cluster.public, viewport={"width": 390, "height": 844}, locale="en-GB")
    with_axe(context)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    used = set()
    try:
        sign_in_with_password(page, address)
        page.wait_for_url(re.compile(r"/$"))
        page.goto("/account")
        section = page.locator("#two-factor")
        section.get_by_text("Two-factor sign-in is off.").wait_for()
        section.get_by_role("button", name="Set up two-factor sign-in").click()
        secret = page.locator("#totp-secret").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
        assert section.get_by_role("img", name="QR code to scan with an authenticator app").is_visible()
        check(page, "set-up")
        page.fill("#totp-enable-code", "000000")
        section.get_by_role("button", name="Turn on").click()
        section.get_by_text("That code is not right.").wait_for()
        page.fill("#totp-enable-code", fresh_code(secret, used))
        section.get_by_role("button", name="Turn on").click()
        page.locator("#recovery-codes li").first.wait_for()
        codes = [c.strip() for c in page.locator("#recovery-codes li").all_inner_texts()]
        assert len(codes) == 10 and all(re.fullmatch(r"[0-9a-f]{5}(-[0-9a-f]{5}){3}", c) for c in codes), codes
        check(page, "recovery codes")
        page.click("#recovery-saved")
        section.get_by_text("Recovery codes left: 10").wait_for()
        assert page.locator("#recovery-codes").count() == 0  # shown once

        page.click("#sign-out")
        page.wait_for_url(re.compile(r"/$"))
        sign_in_with_password(page, address)
        page.locator("#totp-code").wait_for()
        check(page, "second step")
        page.fill("#totp-code", "000000")
        page.get_by_role("button", name="Verify").click()
        page.get_by_text("That code is not right.").wait_for()
        page.fill("#totp-code", fresh_code(secret, used))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(re.compile(r"/$"))
        page.goto("/account")
        page.locator("#two-factor").get_by_text("Two-factor sign-in is on.").wait_for()

        page.click("#sign-out")
        page.wait_for_url(re.compile(r"/$"))
        sign_in_with_password(page, address)
        page.click("#totp-use-recovery")
        page.get_by_label("Recovery code").fill(codes[0])
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(re.compile(r"/$"))
        page.goto("/account")
        page.locator("#two-factor").get_by_text("Recovery codes left: 9").wait_for()
        # a password alone no longer gets tokens, through the API either
        status, body, _ = request("POST", cluster.url("users", "/auth/login"), {"email": address, "password": PASSWORD})
        assert status == 200 and body["mfa_required"] is True and "access_token" not in body
        # and it is turned off with a code
        page.fill("#totp-disable-code", codes[1])
        page.locator("#two-factor").get_by_role("button", name="Turn off").click()
        page.locator("#two-factor").get_by_text("Two-factor sign-in is off.").first.wait_for()
    finally:
        context.close()
    assert errors == []
