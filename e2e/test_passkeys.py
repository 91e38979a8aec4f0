"""Passkeys end to end in Chromium (issue 20): a person adds a passkey on /account, signs out, and
signs in again with it on /login, with no email, password or code asked. The device is
Chromium's virtual authenticator (DevTools' WebAuthn domain): a CTAP2 platform authenticator
with resident keys and user verification, which signs as a phone or a laptop would.

The page is opened on localhost, not 127.0.0.1: browsers refuse an IP address as a relying
party, so users' default relying party for the loopback development origin is ``localhost``
(users/settings.py), an origin the cluster also lists in CORS_ORIGINS for its session cookie."""
from __future__ import annotations

import re
import uuid

import pytest
from browsing import axe_violations, page_width, with_axe
from conftest import request

PASSWORD = "passkeys replace passwords 2026"


def virtual_authenticator(context, page):
    """A platform authenticator for this page that says yes at once (presence and verification)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    found = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return cdp, found["authenticatorId"]


# A browser without WebAuthn Level 3's JSON helpers (Chromium 129 and later have them; older
# Safari and Firefox do not) takes static/js/passkeys.js's own base64url conversions instead.
WITHOUT_JSON_HELPERS = """
delete PublicKeyCredential.parseCreationOptionsFromJSON;
delete PublicKeyCredential.parseRequestOptionsFromJSON;
delete PublicKeyCredential.prototype.toJSON;
"""


@pytest.mark.parametrize("helpers", ["browser's JSON helpers", "the page's own conversions"])
def test_a_person_adds_a_passkey_then_signs_in_with_it_alone(cluster, browser, helpers):
    address = f"passkey-{uuid.uuid4().hex[:8]}@example.com"
    status, body, _ = request("POST", cluster.url("users", "/users"), {"email": address, "password": PASSWORD})
    assert status == 201, body
    origin = cluster.public.replace("://127.0.0.1:", "://localhost:")
    context = browser.new_context(base_url=origin, viewport={"width": 390, "height": 844}, locale="en-GB")
    with_axe(context)
    if helpers == "the page's own conversions":
        context.add_init_script(script=WITHOUT_JSON_HELPERS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    cdp, authenticator = virtual_authenticator(context, page)
    try:
        page.goto("/login")
        page.fill("#email", address)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))

        page.goto("/account")
        has_helpers = page.evaluate("typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function' "
                                    "&& typeof PublicKeyCredential.prototype.toJSON === 'function'")
        assert has_helpers == (helpers == "browser's JSON helpers")
        section = page.locator("#passkeys")
        section.get_by_text("No passkeys yet.").wait_for()
        page.fill("#passkey-name", "e2e laptop")
        section.get_by_role("button", name="Add a passkey").click()
        section.get_by_text("Passkey “e2e laptop” added.").wait_for()
        section.locator("#passkeys-list li strong", has_text="e2e laptop").wait_for()
        section.get_by_text("never used").wait_for()
        page.wait_for_load_state("networkidle")
        assert axe_violations(page) == [], "account page with a passkey"
        width, viewport = page_width(page)
        assert width <= viewport, f"{width} px wide on {viewport}"
        # the device keeps a discoverable credential for this site, made with user verification
        credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
        assert len(credentials) == 1 and credentials[0]["isResidentCredential"] and credentials[0]["rpId"] == "localhost"

        page.click("#sign-out")
        page.wait_for_url(re.compile(r"/$"))
        page.goto("/login")
        button = page.get_by_role("button", name="Sign in with a passkey")
        button.wait_for()
        page.wait_for_load_state("networkidle")
        assert axe_violations(page) == [], "sign-in page with the passkey button"
        button.click()
        page.wait_for_url(re.compile(r"/$"))

        page.goto("/account")
        page.get_by_text(f"Signed in as {address}").wait_for()
        section.get_by_text(re.compile("last used")).wait_for()
        # and it is removed from the account: the device's passkey no longer signs in
        section.get_by_role("button", name="Remove the passkey e2e laptop").click()
        section.get_by_text("Passkey “e2e laptop” removed.").wait_for()
        page.click("#sign-out")
        page.wait_for_url(re.compile(r"/$"))
        page.goto("/login")
        page.get_by_role("button", name="Sign in with a passkey").click()
        page.get_by_text("That passkey is not registered here").wait_for()
        assert page.url.endswith("/login")
        # on 127.0.0.1, which is not the relying party's site, no button the browser would refuse
        page.goto(cluster.public + "/login")
        page.get_by_role("link", name=re.compile("Sign in with")).wait_for()
        page.wait_for_load_state("networkidle")
        assert page.locator("#passkey-signin").count() == 0
    finally:
        context.close()
    assert errors == []
