"""Single sign-on end to end in Chromium (issue 20): the sign-in page offers "Sign in with
<provider>", the browser goes through a real OpenID Connect provider's own login form
(oidc-provider-mock, on loopback) and comes back signed in where it started; a staff member
mapped from the provider's groups lands in the console; a refusal is put in words on the sign-in
page; /account says the account uses single sign-on and, having no password, shows no password
form; signing out there signs out of the provider too (RP-Initiated Logout) and comes back;
axe-core on the sign-in and account pages in both languages.

A small rig rather than the whole cluster (whose settings every other test shares): Redis,
users configured for the provider, incidents and the frontend, which the browser reaches as
the public origin (the provider is another site: localhost, not 127.0.0.1, so the binding
cookie's SameSite=Lax and the session cookie's Strict are exercised as in production)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile

import httpx
import pytest
from browsing import serious_violations, with_axe
from conftest import ROOT
from oidc_provider_mock import run_server_in_thread

sys.path.insert(0, ROOT)
from polystatus.testing import RedisServer  # noqa: E402

from bench.loadgen import free_port, start_service, stop  # noqa: E402

ADMIN = ("alice@example.com", "correct horse battery staple 42")
PROVIDER_NAME = "Example SSO"


@pytest.fixture(scope="module")
def rig():
    var = tempfile.mkdtemp(prefix="polystatus-sso-")
    redis_server = RedisServer()
    ports = {name: free_port() for name in ("users", "incidents", "frontend", "closed")}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    common = {"JWKS_URL": f"{url['users']}/.well-known/jwks.json", "USERS_URL": url["users"],
              "INCIDENTS_URL": url["incidents"], "COMMS_URL": url["closed"], "CSP_STATUS_URL": url["closed"],
              "FEATURE_FLAGS_URL": url["closed"], "PASSWORD_HASH_PROFILE": "CHEAPEST"}
    processes = []
    with run_server_in_thread(require_nonce=True) as provider:
        idp = f"http://localhost:{provider.server_port}"
        try:
            users_env = {**common, "REDIS_URL": redis_server.url(2), "PUBLIC_URL": url["frontend"],
                         "OIDC_DISCOVERY_URL": f"{idp}/.well-known/openid-configuration",
                         "OIDC_CLIENT_ID": "polystatus", "OIDC_CLIENT_SECRET": "e2e-client-secret-0123456789",
                         "OIDC_DISPLAY_NAME": PROVIDER_NAME, "OIDC_ROLE_MAP": "groups:ops=staff,groups:it=admin",
                         "OIDC_REQUIRED_ROLES": "staff,admin"}
            subprocess.run([sys.executable, "-m", "users.admin", "--email", ADMIN[0], "--password", ADMIN[1]],
                           env={**os.environ, **users_env}, check=True, capture_output=True, cwd=ROOT)
            processes.append(start_service("users.app:create_app", ports["users"], users_env))
            processes.append(start_service("incidents.app:create_app", ports["incidents"],
                                   {**common, "REDIS_URL": redis_server.url(1)}))
            processes.append(start_service("frontend.app:create_app", ports["frontend"],
                                   {**common, "REDIS_URL": redis_server.url(6)}))
            yield {"public": url["frontend"], "idp": idp}
        finally:
            for process in reversed(processes):
                stop(process)
            redis_server.stop()
            shutil.rmtree(var, ignore_errors=True)


def person(rig, sub: str, **claims) -> None:
    """What the provider knows of someone: the claims of their ID token."""
    assert httpx.put(f"{rig['idp']}/users/{sub}", json=claims).status_code == 204


def through_the_provider(page, sub: str) -> None:
    """On the provider's own login form: who I am, then Authorize."""
    page.wait_for_url(re.compile(r"^http://localhost:\d+/oauth2/authorize"))
    page.fill("input[name=sub]", sub)
    page.get_by_role("button", name="Authorize").click()


def new_page(browser, rig, *, locale: str = "en-GB", width: int = 1280):
    context = browser.new_context(base_url=rig["public"], viewport={"width": width, "height": 900}, locale=locale)
    with_axe(context)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def test_a_person_signs_in_with_sso_and_comes_back_signed_in_where_they_started(browser, rig):
    person(rig, "uma", email="uma@example.com", email_verified=True, name="Uma Reader", groups=["everyone"])
    context, page, errors = new_page(browser, rig, width=390)
    try:
        page.goto("/login?next=/history")
        button = page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}")
        button.wait_for()
        page.wait_for_load_state("networkidle")
        assert serious_violations(page) == [], "the sign-in page with its SSO button"
        button.click()
        through_the_provider(page, "uma")
        page.wait_for_url(re.compile(r"/history$"))
        account = page.locator("#signin")
        account.filter(has_text="Uma Reader").wait_for()
        assert account.get_attribute("href") == "/account"
        # a reload keeps the session (the cookie set by users on the way back)
        page.reload()
        account.filter(has_text="Uma Reader").wait_for()
        assert errors == []
    finally:
        context.close()


def test_staff_mapped_from_the_providers_groups_land_in_the_console_and_cannot_use_a_password(browser, rig):
    person(rig, "sam", email="sam@example.com", email_verified=True, name="Sam Staff", groups=["ops"])
    context, page, errors = new_page(browser, rig)
    try:
        page.goto("/login")
        page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
        through_the_provider(page, "sam")
        page.wait_for_url(re.compile(r"/console$"))
        page.get_by_role("heading", name="Staff console").wait_for()
        page.locator("#signin").filter(has_text="Sam Staff").wait_for()
        assert errors == []
    finally:
        context.close()
    # staff sign in with SSO only (OIDC_REQUIRED_ROLES): alice's right password is refused, in words
    context, page, errors = new_page(browser, rig)
    try:
        page.goto("/login")
        page.fill("#email", ADMIN[0])
        page.fill("#password", ADMIN[1])
        page.click("button[type=submit]")
        page.get_by_text(f"Your account signs in with {PROVIDER_NAME} only").wait_for()
        assert page.url.endswith("/login")
    finally:
        context.close()


def test_an_unverified_email_is_refused_in_words_on_the_sign_in_page_in_french(browser, rig):
    person(rig, "vic", email="uma@example.com", email_verified=False, groups=["it"])
    context, page, errors = new_page(browser, rig, locale="fr-FR")
    try:
        page.goto("/login")
        page.get_by_role("link", name=f"Se connecter avec {PROVIDER_NAME}").click()
        through_the_provider(page, "vic")
        page.wait_for_url(re.compile(r"/login\?.*sso_error=sso_email_unverified"))
        page.get_by_role("alert").filter(has_text="n’a pas vérifié votre adresse e-mail").wait_for()
        page.wait_for_load_state("networkidle")
        assert serious_violations(page) == [], "the sign-in page showing a refusal"
        assert page.locator("#signin").inner_text() != "Uma Reader"  # nobody was signed in
        assert errors == []
    finally:
        context.close()


def test_the_account_page_says_it_uses_sso_and_explains_there_is_no_password_to_change(browser, rig):
    person(rig, "ada", email="ada@example.com", email_verified=True, name="Ada Reader", groups=["everyone"])
    context, page, errors = new_page(browser, rig, width=390)
    try:
        page.goto("/login?next=/account")
        page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
        through_the_provider(page, "ada")
        page.wait_for_url(re.compile(r"/account$"))
        section = page.locator("#password")
        section.get_by_role("heading", name="Signing in").wait_for()
        assert section.locator("#sso-state").inner_text().startswith(
            f"This account uses single sign-on with {PROVIDER_NAME}.")
        assert "It has no password" in section.locator("#password-none").inner_text()
        assert section.get_by_role("link", name="Set a password with a link by email").get_attribute("href") == "/reset"
        assert page.locator("#current-password").count() == 0  # no form that could only fail
        page.wait_for_load_state("networkidle")
        assert serious_violations(page) == [], "the account page of an SSO account"
        page.goto("/lang/fr?next=/account")
        page.locator("#sso-state").filter(has_text=f"Ce compte utilise l’authentification unique avec {PROVIDER_NAME}").wait_for()
        assert "n’a pas de mot de passe" in page.locator("#password-none").inner_text()
        page.wait_for_load_state("networkidle")
        assert serious_violations(page) == [], "the account page of an SSO account, in French"
        assert errors == []
    finally:
        context.close()


def test_signing_out_of_an_sso_session_passes_by_the_providers_sign_out_and_comes_back_signed_out(browser, rig):
    person(rig, "otto", email="otto@example.com", email_verified=True, name="Otto Reader", groups=["everyone"])
    context, page, errors = new_page(browser, rig)
    try:
        page.goto("/login?next=/account")
        page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
        through_the_provider(page, "otto")
        page.wait_for_url(re.compile(r"/account$"))
        page.locator("#sign-out").click()
        # the provider's own end-session page, told whose session by the ID token
        page.wait_for_url(re.compile(r"^http://localhost:\d+/oauth2/end_session\?.*id_token_hint="))
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(re.compile(re.escape(rig["public"]) + r"/\?state=[\w-]{32,}$"))
        page.wait_for_load_state("networkidle")
        assert "Otto Reader" not in page.locator("#signin").inner_text()
        page.goto("/account")  # nothing left to sign in with: the page asks for a sign-in
        page.locator('a[href="/login?next=/account"]').wait_for()
        assert errors == []
    finally:
        context.close()
