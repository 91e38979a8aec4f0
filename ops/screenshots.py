"""Screenshots of a running cluster for the README: the public page, a component page and the
staff console, at desktop and phone width, in Debian's Chromium driven by Playwright.

    .venv/bin/python ops/screenshots.py [--url http://127.0.0.1:8080] [--out docs/screenshots]
"""
from __future__ import annotations

import argparse
import os
import shutil

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--component", default="api")
    parser.add_argument("--email", default=os.environ.get("POLYSTATUS_ADMIN_EMAIL", "alice@example.com"))
    parser.add_argument("--password", default=os.environ.get("POLYSTATUS_ADMIN_PASSWORD", ""))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path())
        for size, viewport in SIZES.items():
            page = browser.new_page(viewport=viewport, device_scale_factor=1)
            page.goto(args.url)
            page.wait_for_selector(".component")
            page.screenshot(path=f"{args.out}/status-{size}.png", full_page=True)
            page.goto(f"{args.url}/components/{args.component}")
            page.wait_for_selector("svg.chart")
            page.screenshot(path=f"{args.out}/component-{size}.png", full_page=True)
            if args.password:
                sign_in(page, args.url, args.email, args.password)
                page.wait_for_selector("#main form")
                page.screenshot(path=f"{args.out}/console-{size}.png", full_page=True)
            page.close()
        browser.close()
    print(f"screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
