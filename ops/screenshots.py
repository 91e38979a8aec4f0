"""Screenshots of a running cluster for the README: the public pages (status, component,
incident, history, check), the staff console, the admin pages and the account pages (sign-up,
email subscription, account), at desktop and phone width, in Debian's Chromium driven by Playwright.

    .venv/bin/python ops/screenshots.py [--url http://127.0.0.1:8080] [--out docs/screenshots]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import urllib.request

from playwright.sync_api import sync_playwright

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    raise SystemExit("Chromium is missing: sudo apt-get install chromium")


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console")


def account_pages(browser, viewport: dict, args, size: str) -> None:
    """Sign-up and email subscription as a visitor sees them; the account of a signed-in user."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{args.url}/signup")
    page.wait_for_selector("#signup-email")
    page.screenshot(path=f"{args.out}/signup-{size}.png", full_page=True)
    page.goto(f"{args.url}/subscribe")
    page.wait_for_selector("#subscribe-email")
    page.screenshot(path=f"{args.out}/subscribe-{size}.png", full_page=True)
    page.goto(f"{args.url}/login")
    page.fill("#email", args.user_email)
    page.fill("#password", args.user_password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{args.url}/")
    page.goto(f"{args.url}/account")
    page.wait_for_selector("#delete-email")
    page.screenshot(path=f"{args.out}/account-{size}.png", full_page=True)
    context.close()


def first(url: str, key: str, pick=lambda items: items[0]) -> str | None:
    """The id of the first item of a list the frontend passes through (an incident, a check)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            items = json.load(response)[key]
    except (OSError, ValueError, KeyError):
        return None
    return pick(items)["id"] if items else None


def staff_pages(page, base: str, out: str, size: str) -> None:
    """The console (an open incident's update form unfolded), the admin (checks, after a check
    was run now, so the per-condition verdicts show), its flags and its users found by a search."""
    page.wait_for_selector("#new-incident")
    first = page.locator("article[data-incident] details summary").first
    if first.count():
        first.click()
    # a resolved incident's postmortem, previewed as visitors will read it (nothing is saved)
    postmortem = page.locator("article[data-incident] details").filter(has=page.locator("summary", has_text="Postmortem")).first
    if postmortem.count():
        postmortem.locator("summary").click()
        area = postmortem.locator("textarea[name=body]")
        area.wait_for()
        if not area.input_value():
            area.fill("## What happened\n\nA deploy raised **error rates** on the Public API; we rolled it back.\n\n"
                      "- 14:02 alert\n- 14:09 rollback\n- 14:15 error rates normal")
        postmortem.get_by_role("button", name="Preview").click()
        postmortem.locator(".preview .preview-label").wait_for()
    page.screenshot(path=f"{out}/console-{size}.png", full_page=True)
    page.goto(f"{base}/admin#checks")
    page.wait_for_selector("#new-check")
    run = page.locator("article[data-check]").filter(has_text="HTTP with conditions").locator(".actions .btn.primary").first
    if run.count():
        run.click()
        page.wait_for_selector(".run-result", timeout=20_000)
    page.screenshot(path=f"{out}/admin-{size}.png", full_page=True)
    # flags: variants, targeting rules and segments, the rollout; users: a search by email
    page.locator("#tab-flags").click()
    page.wait_for_selector("#new-segment")
    page.screenshot(path=f"{out}/admin-flags-{size}.png", full_page=True)
    page.locator("#tab-users").click()
    page.wait_for_selector("form[role=search]")
    page.locator("form[role=search] input[name=q]").fill("example.com")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_selector("form[role=search] + p[role=status]")
    page.screenshot(path=f"{out}/admin-users-{size}.png", full_page=True)
    # API keys (a service key's form) and the private page's read tokens
    page.locator("#tab-page-tokens").click()
    page.wait_for_selector("#new-page-token")
    page.screenshot(path=f"{out}/admin-tokens-{size}.png", full_page=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--component", default="api")
    parser.add_argument("--email", default=os.environ.get("POLYSTATUS_ADMIN_EMAIL", "alice@example.com"))
    parser.add_argument("--password", default=os.environ.get("POLYSTATUS_ADMIN_PASSWORD", ""))
    parser.add_argument("--user-email", default="carol@example.com", help="a plain user, for the account page")
    parser.add_argument("--user-password", default="polystatus-demo-2026")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path())
        for size, viewport in SIZES.items():
            page = browser.new_page(viewport=viewport, device_scale_factor=1, locale="en-GB")
            incident = first(f"{args.url}/api/incidents/incidents?status=open", "incidents")
            # the check run most often: its chart has the most to show
            check = first(f"{args.url}/api/csp-status/checks", "checks", lambda items: min(items, key=lambda c: c.get("interval") or 1e9))
            public = {"status": "/", "component": f"/components/{args.component}", "history": "/history"}
            if incident:
                public["incident"] = f"/incidents/{incident}"
            if check:
                public["check"] = f"/checks/{check}"
            for name, path in public.items():
                page.goto(args.url + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=f"{args.out}/{name}-{size}.png", full_page=True)
            if args.password:
                sign_in(page, args.url, args.email, args.password)
                staff_pages(page, args.url, args.out, size)
            page.close()
            account_pages(browser, viewport, args, size)
        browser.close()
    print(f"screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
