"""The audit trail across the cluster: a scripted sequence of writes on every service, then
the entries users keeps (who, what, when, from where, before/after of an edit, no secret in
any), and the admin's audit tab in Chromium."""
from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

from conftest import ADMIN, request
from playwright.sync_api import expect
from staff_pages import assert_accessible, assert_fits, open_page, sign_in, words

__all__ = ["open_page"]  # a fixture

SECRET_IN_URL = "T0KEN-" + uuid.uuid4().hex
NEW_PASSWORD = "a fresh passphrase " + uuid.uuid4().hex[:8]
ADDRESS = "198.51.100.23"  # what the edge would say; the cluster's services trust 127.0.0.1


def api(cluster, token, method, service, path, body=None):
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": ADDRESS}
    status, answer, _ = request(method, cluster.url(service, path), body, headers)
    assert status < 300, (method, service, path, status, answer)
    return answer


def audit(cluster, token, **filters):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    status, answer, _ = request("GET", cluster.url("users", f"/audit?per_page=200&{query}"), None,
                                {"Authorization": f"Bearer {token}"})
    assert status == 200, answer
    return answer["entries"]


def wait_for_entries(cluster, token, wanted, since, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        found = audit(cluster, token, since=since)
        if all(any(match(e) for e in found) for match in wanted.values()) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_a_sequence_of_writes_across_services_is_audited_once_each_without_secrets(cluster, admin_token):
    since = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    s = uuid.uuid4().hex[:6]
    component = api(cluster, admin_token, "POST", "incidents", "/components", {"name": f"Audit {s}"})
    incident = api(cluster, admin_token, "POST", "incidents", "/incidents",
                   {"name": f"Audit incident {s}", "status": "investigating", "message": "Looking."})
    api(cluster, admin_token, "POST", "comms", "/banners", {"message": f"Audit banner {s}"})
    channel = api(cluster, admin_token, "POST", "comms", "/channels", {
        "name": f"Audit hook {s}", "url": f"json://127.0.0.1:9/{SECRET_IN_URL}", "events": ["incident.created"]})
    api(cluster, admin_token, "POST", "csp-status", "/heartbeats", {"name": f"Audit beat {s}", "timeout": 3600})
    api(cluster, admin_token, "POST", "feature-flags", "/flags", {
        "key": f"audit-{s}", "type": "boolean", "variants": {"on": True, "off": False}, "default_variant": "off"})
    user = api(cluster, admin_token, "POST", "users", "/users",
               {"email": f"dora-{s}@example.com", "password": NEW_PASSWORD, "display_name": "Dora"})
    api(cluster, admin_token, "PATCH", "users", f"/users/{user['id']}", {"display_name": "Dora the Explorer"})
    wanted = {
        "component": lambda e: e["service"] == "incidents" and e["route"] == "/components" and e["method"] == "POST"
        and e["after"] == {"name": f"Audit {s}"},
        "incident": lambda e: e["service"] == "incidents" and e["route"] == "/incidents"
        and (e["after"] or {}).get("name") == f"Audit incident {s}",
        "banner": lambda e: e["service"] == "comms" and (e["after"] or {}).get("message") == f"Audit banner {s}",
        "channel": lambda e: e["service"] == "comms" and (e["after"] or {}).get("name") == f"Audit hook {s}",
        "heartbeat": lambda e: e["service"] == "csp-status" and (e["after"] or {}).get("name") == f"Audit beat {s}",
        "flag": lambda e: e["service"] == "feature-flags" and (e["after"] or {}).get("key") == f"audit-{s}",
        "account": lambda e: e["service"] == "users" and e["route"] == "/users" and e["method"] == "POST"
        and (e["after"] or {}).get("email") == f"dora-{s}@example.com",
        "edit": lambda e: e["service"] == "users" and e["method"] == "PATCH" and e["object"]["id"] == user["id"],
    }
    found = wait_for_entries(cluster, admin_token, wanted, since)
    for name, match in wanted.items():
        matching = [e for e in found if match(e)]
        assert len(matching) == 1, f"{name}: {len(matching)} entries"  # once each
        entry = matching[0]
        assert entry["actor"]["email"] == ADMIN["email"] and entry["actor"]["role"] == "admin", name
        assert entry["address"] == ADDRESS, name
        assert datetime.fromisoformat(entry["time"]) >= datetime.fromisoformat(since) and entry["action"], name
    edit = next(e for e in found if wanted["edit"](e))
    assert (edit["before"], edit["after"]) == ({"display_name": "Dora"}, {"display_name": "Dora the Explorer"})
    assert edit["action"] == "update" and edit["object"]["type"] == "users"
    assert next(e for e in found if wanted["channel"](e))["after"]["url"] == "[redacted]"
    assert next(e for e in found if wanted["account"](e))["after"]["password"] == "[redacted]"
    # by object and by actor
    assert [e["object"]["id"] for e in audit(cluster, admin_token, object=f"incidents/{incident['id']}")] == [incident["id"]]
    assert any(e["object"]["id"] == channel["id"] or wanted["channel"](e)
               for e in audit(cluster, admin_token, actor=ADMIN["email"], service="comms"))
    assert component["id"]
    # no secret anywhere in the trail, nor in its export
    status, export, headers = request("GET", cluster.url("users", f"/audit/export?since={since}"), None,
                                      {"Authorization": f"Bearer {admin_token}"})
    content_type = {k.lower(): v for k, v in headers.items()}["content-type"]
    assert status == 200 and content_type.startswith("application/x-ndjson")
    lines = [json.loads(line) for line in (export if isinstance(export, str) else json.dumps(export)).splitlines()]
    assert len(lines) >= len(wanted)
    everything = json.dumps(found) + json.dumps(lines)
    for secret in (SECRET_IN_URL, NEW_PASSWORD, admin_token, "$argon2"):
        assert secret not in everything


def test_the_admin_reads_and_filters_the_audit_log_in_the_browser(cluster, admin_token, open_page):
    s = uuid.uuid4().hex[:6]
    api(cluster, admin_token, "POST", "comms", "/banners", {"message": f"Browser audit {s}"})
    deadline = time.monotonic() + 60
    while not any((e["after"] or {}).get("message") == f"Browser audit {s}" for e in audit(cluster, admin_token, service="comms")):
        assert time.monotonic() < deadline, "the banner's entry never arrived"
        time.sleep(0.5)
    for width, lang in ((1280, "en"), (390, "fr")):
        w = words(lang, "admin")
        page = open_page(width, lang)
        sign_in(page, ADMIN["email"], ADMIN["password"], "/admin")
        page.get_by_role("tab", name=w["a_tab_audit"]).click()
        panel = page.locator("#panel")
        expect(panel.get_by_role("heading", name=w["a_audit"], exact=False)).to_be_visible(timeout=15_000)
        panel.get_by_label(w["a_au_service_filter"]).select_option("comms")
        panel.get_by_role("button", name=w["a_au_apply"]).click()
        row = panel.locator("tbody tr").first
        expect(row).to_contain_text("/banners", timeout=15_000)
        expect(row).to_contain_text(ADMIN["email"])
        assert "comms" in row.inner_text()
        assert_accessible(page, f"the audit tab ({lang}, {width} px)")
        assert_fits(page, f"the audit tab ({lang}, {width} px)")
