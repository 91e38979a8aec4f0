"""Certificate and domain expiry as warnings: check.expiry_warning once per threshold, not on
every run; a real TLS server with a generated certificate, a local RDAP server with a real
registry answer, and results posted by an agent."""
import json
from datetime import UTC, datetime, timedelta

from conftest import Served
from test_agents import agent_headers, register
from test_checks import make, run
from test_gatus_checks import registry, tls_context  # noqa: F401 - registry is a fixture


def warnings(r) -> list[dict]:
    return [json.loads(fields["data"]) for _, fields in r.xrange("events:csp-status")
            if fields["type"] == "check.expiry_warning"]


def tls_server(tmp_path, not_after):
    server = Served(tls=tls_context(tmp_path, not_after))
    server.routes["/"] = (200, {}, b"ok")
    return server


def test_an_https_check_warns_once_per_threshold_before_its_certificate_expires(client, as_, clock, r, tmp_path):
    expires = clock.now() + timedelta(days=10, hours=1)
    server = tls_server(tmp_path, expires)
    try:
        check = make(client, as_, url=server.url("/"), insecure=True, component_ids=["shop"])
        for _ in range(3):
            assert run(client, as_, check["id"])["ok"] is True
        assert [(w["what"], w["threshold"], w["days_left"]) for w in warnings(r)] == [("certificate", 14, 10)]
        first = warnings(r)[0]
        assert first["check_id"] == check["id"] and first["component_ids"] == ["shop"]
        assert first["subject"] == "" and first["expires_at"].startswith(expires.date().isoformat())
        clock.set(expires - timedelta(days=6))
        run(client, as_, check["id"])
        run(client, as_, check["id"])
        clock.set(expires - timedelta(hours=12))
        run(client, as_, check["id"])
        clock.set(expires + timedelta(days=1))  # expired: nothing lower to tell
        run(client, as_, check["id"])
        assert [(w["threshold"], w["days_left"]) for w in warnings(r)] == [(14, 10), (7, 6), (1, 0)]
    finally:
        server.server.shutdown()


def test_a_certificate_close_to_expiry_warns_once_at_the_lowest_threshold_reached(client, as_, clock, r, tmp_path):
    server = tls_server(tmp_path, clock.now() + timedelta(days=3))
    try:
        check = make(client, as_, url=server.url("/"), insecure=True)
        run(client, as_, check["id"])
        run(client, as_, check["id"])
        assert [w["threshold"] for w in warnings(r)] == [7]
    finally:
        server.server.shutdown()


def test_a_renewed_certificate_starts_its_thresholds_again(client, as_, clock, r, tmp_path):
    old = tls_server(tmp_path / "old" if (tmp_path / "old").mkdir() is None else None, clock.now() + timedelta(days=5))
    try:
        check = make(client, as_, url=old.url("/"), insecure=True)
        run(client, as_, check["id"])
    finally:
        old.server.shutdown()
    renewed = tls_server(tmp_path, clock.now() + timedelta(days=90))
    try:
        client.patch(f"/checks/{check['id']}", json={"url": renewed.url("/")}, headers=as_("alice"))
        run(client, as_, check["id"])
        assert [w["threshold"] for w in warnings(r)] == [7]
        clock.set(clock.now() + timedelta(days=80))
        run(client, as_, check["id"])
        assert [w["threshold"] for w in warnings(r)] == [7, 14]
    finally:
        renewed.server.shutdown()


def test_thresholds_are_a_check_field_and_an_empty_list_turns_warnings_off(client, as_, clock, r, tmp_path):
    server = tls_server(tmp_path, clock.now() + timedelta(days=20))
    try:
        quiet = make(client, as_, name="Quiet", url=server.url("/"), insecure=True, expiry_warning_days=[])
        early = make(client, as_, name="Early", url=server.url("/"), insecure=True, expiry_warning_days=[30, 21])
        run(client, as_, quiet["id"])
        run(client, as_, early["id"])
        assert [(w["name"], w["threshold"]) for w in warnings(r)] == [("Early", 21)]
    finally:
        server.server.shutdown()


def test_plain_http_has_no_certificate_to_warn_about(client, as_, r, served):
    served.routes["/"] = (200, {}, b"ok")
    check = make(client, as_, url=served.url("/"))
    assert "certificate_expires_at" not in run(client, as_, check["id"])
    assert warnings(r) == []


def test_a_watched_domain_warns_before_its_registration_expires(client, as_, clock, r, registry):  # noqa: F811
    # example.cz expires 2019-08-30 12:00 in CZ.NIC's captured answer
    clock.set(datetime(2019, 8, 20, tzinfo=UTC))
    check = make(client, as_, name="Shop port", kind="tcp", host="example.cz", port=9, watch_domain=True)
    run(client, as_, check["id"])
    run(client, as_, check["id"])
    clock.set(datetime(2019, 8, 29, 18, tzinfo=UTC))
    run(client, as_, check["id"])
    assert [(w["what"], w["subject"], w["threshold"]) for w in warnings(r)] == [("domain", "example.cz", 14),
                                                                               ("domain", "example.cz", 1)]
    response = client.post("/checks", json={"name": "No domain", "kind": "tcp", "host": "127.0.0.1", "port": 9,
                                            "watch_domain": True}, headers=as_("alice"))
    assert response.status_code == 422 and "watch_domain" in response.json["error"]["details"]


def test_an_agent_reports_the_certificate_date_and_the_server_warns(client, as_, clock, r, served):
    token = register(client, as_, "paris").json["token"]
    check = make(client, as_, url="https://shop.example.com/", run_in=["paris"])
    expires = clock.now() + timedelta(days=6)
    item = {"id": "r-00000001", "check_id": check["id"], "ok": True, "reason": "fine", "status": 200,
            "at": clock.now().isoformat(), "certificate_expires_at": expires.isoformat()}
    assert client.post("/agent/results", json={"results": [item]}, headers=agent_headers(token)).json["recorded"] == 1
    assert [(w["what"], w["threshold"]) for w in warnings(r)] == [("certificate", 7)]
    assert warnings(r)[0]["subject"] == "shop.example.com"
