"""The follower's and the email subscriber's journeys, end to end in a real Chromium against the
cluster `make up` starts, reading every emailed link from the mail catcher (var/mail), with
axe-core checking each page they pass through.

Two runs of each journey keep CI time reasonable while covering both widths and languages:
English at 1280 px and French on a 390 px phone.
"""
from __future__ import annotations

import email
import os
import re
import time
import uuid
from email import policy

import pytest
from browsing import LOCALES, SIZES, axe_violations, page_width, with_axe
from conftest import request
from playwright.sync_api import expect

RUNS = {"en-desktop": (LOCALES["en"], SIZES["desktop"]), "fr-phone": (LOCALES["fr"], SIZES["phone"])}
WORDS = {
    "en": {"check_mail": "Check your mailbox", "welcome": "Welcome", "following": "You follow this incident.",
           "subscribed": "Subscribed", "unsubscribe": "Unsubscribe", "password_changed": "Password changed",
           "everywhere": "You have been signed out everywhere.", "signin": "Sign in", "reset_done": "Your password has been changed",
           "deleted": "Your account has been deleted.", "confirmed": "You are subscribed", "unsubscribed": "You are unsubscribed",
           "forgot": "Forgot your password?", "confirm_subject": "Confirm your PolyStatus account",
           "reset_subject": "Choose a new PolyStatus password", "subscription_subject": "Confirm your subscription",
           "identified": "[Identified]", "affected": "Affected"},
    "fr": {"check_mail": "Consultez votre boîte mail", "welcome": "Bienvenue", "following": "Vous suivez cet incident.",
           "subscribed": "Abonné", "unsubscribe": "Se désabonner", "password_changed": "Mot de passe changé",
           "everywhere": "Vous avez été déconnecté partout.", "signin": "Se connecter",
           "reset_done": "Votre mot de passe a été changé", "deleted": "Votre compte a été supprimé.",
           "confirmed": "Vous êtes abonné", "unsubscribed": "Vous êtes désabonné", "forgot": "Mot de passe oublié ?",
           "confirm_subject": "Confirmez votre compte PolyStatus", "reset_subject": "Choisissez un nouveau mot de passe",
           "subscription_subject": "Confirmez votre abonnement",
           "identified": "[Identifié]", "affected": "Composants concernés"},
}
PASSWORD = "a walk in the park 2026"
NEW_PASSWORD = "another walk in the rain 27"
RESET_PASSWORD = "third time in the snow 28"


class Run:
    """One browser profile (a context) at one width and language; new tabs and a restarted
    browser come from it."""

    def __init__(self, browser, cluster, name: str):
        self.browser, self.cluster, self.name = browser, cluster, name
        self.locale, self.viewport = RUNS[name]
        self.lang = self.locale[:2]
        self.words = WORDS[self.lang]
        self.errors: list[str] = []
        self.context = self.new_context()
        self.page = self.context.new_page()

    def new_context(self, **extra):
        context = self.browser.new_context(locale=self.locale, viewport=self.viewport, base_url=self.cluster.public,
                                           **extra)
        with_axe(context)
        context.on("page", lambda page: page.on("pageerror", lambda exc: self.errors.append(str(exc))))
        return context

    def check(self, page=None, what: str = ""):
        """What every account page must be: no serious axe violation, nothing wider than the screen."""
        page = page or self.page
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        assert violations == [], f"{self.name} {what or page.url}: {violations}"
        widths = page_width(page)
        assert widths[0] <= widths[1], f"{self.name} {what or page.url} is {widths[0]} px wide on a {widths[1]} px screen"


@pytest.fixture(params=list(RUNS))
def person(request, browser, cluster):
    current = Run(browser, cluster, request.param)
    yield current
    current.context.close()
    assert current.errors == [], f"the pages raised: {current.errors}"


def mail_to(cluster, address: str, subject_part: str, timeout: float = 45.0, after: float = 0.0):
    """The newest message the mail catcher caught for ``address`` whose subject contains
    ``subject_part``: (subject, plain text, headers)."""
    directory = os.path.join(cluster.var, "mail")
    deadline = time.monotonic() + timeout
    while True:
        for name in sorted(os.listdir(directory), reverse=True):
            if not name.endswith(".eml") or float(name.split("-", 1)[0]) < after:
                continue
            with open(os.path.join(directory, name), "rb") as handle:
                message = email.message_from_binary_file(handle, policy=policy.default)
            if message["To"] == address and subject_part in str(message["Subject"]):
                return str(message["Subject"]), message.get_body(("plain",)).get_content(), message
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail to {address} about {subject_part!r} within {timeout} s")
        time.sleep(0.5)


def link_in(text: str, pattern: str) -> str:
    found = re.search(r"https?://\S*" + pattern + r"\S*", text)
    assert found, f"no link matching {pattern} in:\n{text}"
    return found.group(0)


def staff(cluster, admin_token, method: str, path: str, body: dict):
    status, answer, _ = request(method, cluster.url("incidents", path), body, {"Authorization": f"Bearer {admin_token}"})
    assert status in (200, 201), answer
    return answer


def test_a_follower_signs_up_follows_subscribes_and_manages_the_account_to_its_deletion(person, cluster, admin_token):
    page, words = person.page, person.words
    address = f"dana-{person.name}-{uuid.uuid4().hex[:6]}@example.com"
    name = f"Dana {person.lang.upper()}"

    # Sign up; the account exists once the emailed link is followed, and that link signs in.
    page.goto("/login")
    page.get_by_role("link", name=re.compile("account|compte", re.I)).click()
    expect(page).to_have_url(re.compile(r"/signup$"))
    person.check(what="sign-up page")
    page.fill("#signup-name", name)
    page.fill("#signup-email", address)
    page.fill("#signup-password", PASSWORD)
    page.get_by_role("button", name=re.compile("account|compte", re.I)).click()
    expect(page.get_by_role("heading", name=words["check_mail"])).to_be_visible()
    _, text, _ = mail_to(cluster, address, words["confirm_subject"])
    page.goto(link_in(text, "/signup/confirm#token="))
    expect(page.get_by_role("heading", name=re.compile(words["welcome"]))).to_be_visible()
    assert "token" not in page.url  # taken out of the address bar
    expect(page.locator("#signin")).to_have_text(name)
    person.check(what="sign-up confirmed")

    # Follow an incident, subscribe to a component; a reload shows both as they are.
    incident = staff(cluster, admin_token, "POST", "/incidents", {
        "name": f"E2E accounts {person.name}", "status": "investigating", "message": "Looking.",
        "components": {"login": "degraded_performance"}})
    page.goto(f"/incidents/{incident['id']}")
    page.click("#follow")
    expect(page.get_by_role("status").filter(has_text=words["following"])).to_be_visible()
    page.goto("/components/api")
    page.click("#subscribe-toggle")
    expect(page.locator(".subscribe-box .ok").first).to_contain_text(words["subscribed"])
    page.reload()
    expect(page.locator("#subscribe-toggle")).to_have_text(words["unsubscribe"])
    person.check(what="component page, subscribed")

    # The account lists them; unsubscribing there sticks.
    page.goto("/account")
    expect(page.locator(f'[data-follow="{incident["id"]}"]')).to_contain_text(incident["name"])
    expect(page.locator('[data-subscription="api"]')).to_be_visible()
    person.check(what="account page")
    # the mails come in the language the account was made in
    expect(page.locator("#profile-lang")).to_have_value(person.lang)
    page.locator('[data-subscription="api"] button').click()
    expect(page.locator('[data-subscription="api"]')).to_have_count(0)
    page.reload()
    expect(page.locator(f'[data-follow="{incident["id"]}"]')).to_be_visible()
    expect(page.locator('[data-subscription="api"]')).to_have_count(0)

    # An update of the followed incident is mailed; its link opens signed in, in a new tab and
    # in the browser started again (same profile).
    staff(cluster, admin_token, "POST", f"/incidents/{incident['id']}/updates",
          {"status": "identified", "message": "Found it.", "components": {"login": "degraded_performance"}})
    subject, text, message = mail_to(cluster, address, incident["name"])
    assert message["List-Unsubscribe"] and "/unsubscribe?" in text
    assert subject.startswith(words["identified"]) and words["affected"] in text, (subject, text)
    incident_link = link_in(text, f"/incidents/{incident['id']}")
    tab = person.context.new_page()
    tab.goto(incident_link)
    expect(tab.locator("#signin")).to_have_text(name)
    expect(tab.locator("#follow")).to_be_visible()
    tab.close()
    restarted = person.new_context(storage_state=person.context.storage_state())
    other = restarted.new_page()
    other.goto(incident_link)
    expect(other.locator("#signin")).to_have_text(name)

    # Change the password, then sign out everywhere: the other browser is signed out too.
    page.goto("/account")
    page.fill("#current-password", PASSWORD)
    page.fill("#new-password", NEW_PASSWORD)
    page.locator("#password button[type=submit]").click()
    expect(page.locator("#password .feedback")).to_contain_text(words["password_changed"])
    page.click("#sign-out-everywhere")
    expect(page.get_by_role("heading", name=words["everywhere"])).to_be_visible()
    expect(page.locator("#signin")).to_have_text(words["signin"])
    other.reload()
    expect(other.locator("#signin")).to_have_text(words["signin"])
    restarted.close()

    # Forgotten password: a link by mail, a new password, signed in.
    page.goto("/login")
    page.get_by_role("link", name=words["forgot"]).click()
    person.check(what="reset page")
    started = time.time()
    page.fill("#reset-email", address)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("heading", name=words["check_mail"])).to_be_visible()
    _, text, _ = mail_to(cluster, address, words["reset_subject"], after=started - 1)
    page.goto(link_in(text, "/reset#token="))
    person.check(what="new password page")
    page.fill("#reset-password", RESET_PASSWORD)
    page.fill("#reset-again", RESET_PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("status").filter(has_text=words["reset_done"])).to_be_visible()
    expect(page.locator("#signin")).to_have_text(name)

    # Delete the account: gone, and its password no longer signs in.
    page.goto("/account")
    page.fill("#delete-email", address)
    page.locator("#delete button[type=submit]").click()
    expect(page.get_by_role("heading", name=words["deleted"])).to_be_visible()
    expect(page.locator("#signin")).to_have_text(words["signin"])
    status, _, _ = request("POST", cluster.url("users", "/auth/login"), {"email": address, "password": RESET_PASSWORD})
    assert status == 401


def test_an_email_subscriber_confirms_receives_an_incident_and_unsubscribes_in_one_click(person, cluster, admin_token):
    page, words = person.page, person.words
    address = f"fern-{person.name}-{uuid.uuid4().hex[:6]}@example.com"
    page.goto("/")
    page.locator("nav a[href='/subscribe']").click()
    person.check(what="subscribe page")
    page.fill("#subscribe-email", address)
    page.check("#pick-payments")
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("heading", name=words["check_mail"])).to_be_visible()
    _, text, _ = mail_to(cluster, address, words["subscription_subject"])
    page.goto(link_in(text, "/subscribe/confirm#token="))
    expect(page.get_by_role("status").filter(has_text=words["confirmed"])).to_contain_text("Payments")
    person.check(what="subscription confirmed")

    incident = staff(cluster, admin_token, "POST", "/incidents", {
        "name": f"E2E subscriber {person.name}", "status": "investigating", "message": "Slow payments.",
        "components": {"payments": "degraded_performance"}})
    _, text, message = mail_to(cluster, address, incident["name"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page.goto(link_in(text, "/unsubscribe?"))
    person.check(what="unsubscribe page")
    page.click("#confirm-action")
    expect(page.get_by_role("status").filter(has_text=words["unsubscribed"])).to_be_visible()
    status, listing, _ = request("GET", cluster.url("comms", "/subscribers?per_page=200"),
                                 headers={"Authorization": f"Bearer {admin_token}"})
    assert status == 200 and address not in [s["email"] for s in listing["subscribers"]]


def test_the_sign_up_and_subscribe_pages_are_public_and_accessible_in_both_languages_signed_out(browser, cluster):
    for name in RUNS:
        current = Run(browser, cluster, name)
        try:
            for path in ("/signup", "/reset", "/subscribe", "/account", "/components/api",
                         "/unsubscribe?u=x&k=email&t=all&s=0", "/ack?alert=x&s=0", "/subscribe/confirm"):
                current.page.goto(path)
                current.page.wait_for_selector("main h1, main h2, main .error")
                current.check(what=path)
        finally:
            current.context.close()
        assert current.errors == []
