"""Helpers for the browser tests: Debian's Chromium under Playwright, and axe-core (npm, from
ops/node/package.json) injected into every page to audit it."""
from __future__ import annotations

import os
import shutil
import subprocess

NODE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ops", "node")
AXE = os.path.join(NODE, "node_modules", "axe-core", "axe.min.js")
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"en": "en-GB", "fr": "fr-FR"}


def chromium_path() -> str:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Chromium is missing: `make test` installs Debian's chromium package"
    return executable


def with_axe(context) -> None:
    """axe-core on every page of ``context``. An init script (the DevTools protocol's "script to
    evaluate on new document") is not subject to the page's CSP, which stays as strict as in
    production: no bypass_csp."""
    if not os.path.exists(AXE):  # `make test` installs it; a lone pytest run may come first
        subprocess.run(["npm", "install", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=NODE, check=True, capture_output=True, timeout=600)
    context.add_init_script(path=AXE)


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of ``impacts`` on the page as it is now (WCAG 2.x A and AA rules,
    and axe's best practices)."""
    found = page.evaluate("""async () => {
        const result = await axe.run(document, { resultTypes: ["violations"] });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "").slice(0, 200)) }));
    }""")
    return [v for v in found if v["impact"] in impacts]


def page_width(page) -> tuple[int, int]:
    """(the document's scroll width, the viewport's width)."""
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def serious_violations(page) -> list[str]:
    """The serious and critical violations on the page as it is now, one line each."""
    return [f"{v['impact']} {v['id']}: {v['help']} — {', '.join(v['nodes'][:3])}" for v in axe_violations(page)]
