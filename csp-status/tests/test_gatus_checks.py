"""Gatus's placeholders filled by real runs: a TLS server with a generated certificate, a local
RDAP server serving a real registry answer, a local DNS server, plain HTTP and TCP."""
import asyncio
import json
import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta

import dns.message
import dns.rcode
import dns.rrset
import pytest
from conftest import Served, fixture_bytes
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from csp_status.checks import engine, rdap
from test_checks import make, run


def tls_context(tmp_path, not_after: datetime) -> ssl.SSLContext:
    """A server context with a freshly generated self-signed certificate for 127.0.0.1."""
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(not_after - timedelta(days=30)).not_valid_after(not_after)
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def test_certificate_expiration_is_read_from_the_tls_connection(client, as_, clock, tmp_path):
    server = Served(tls=tls_context(tmp_path, clock.now() + timedelta(days=10)))
    try:
        server.routes["/"] = (200, {}, b"ok")
        check = make(client, as_, url=server.url("/"), insecure=True,
                     conditions=["[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 48h", "[CERTIFICATE_EXPIRATION] < 241h"])
        assert run(client, as_, check["id"])["ok"] is True
        client.patch(f"/checks/{check['id']}", json={"conditions": ["[CERTIFICATE_EXPIRATION] > 720h"]},
                     headers=as_("alice"))
        result = run(client, as_, check["id"])
        assert result["ok"] is False
        assert result["reason"] == "[CERTIFICATE_EXPIRATION] (240h) > 720h"
    finally:
        server.server.shutdown()


def test_an_unverifiable_certificate_fails_unless_the_check_is_insecure(client, as_, clock, tmp_path):
    server = Served(tls=tls_context(tmp_path, clock.now() + timedelta(days=10)))
    try:
        server.routes["/"] = (200, {}, b"ok")
        check = make(client, as_, url=server.url("/"), conditions=["[STATUS] == 200"])
        result = run(client, as_, check["id"])
        assert result["ok"] is False and "request failed" in result["reason"] and "[STATUS] (0) == 200" in result["reason"]
    finally:
        server.server.shutdown()


def test_plain_http_has_no_certificate_expiration(client, as_, served):
    served.routes["/"] = (200, {}, b"ok")
    check = make(client, as_, url=served.url("/"), conditions=["[CERTIFICATE_EXPIRATION] == 0"])
    assert run(client, as_, check["id"])["ok"] is True


@pytest.fixture()
def registry(app):
    """A local RDAP server with the real CZ.NIC answer for example.cz, and a bootstrap file
    sending .cz to it."""
    server = Served()
    server.routes["/rdap/domain/example.cz"] = (200, {"Content-Type": "application/rdap+json"},
                                                fixture_bytes("rdap/rdap.nic.cz/domain-example.cz.json"))
    server.routes["/dns.json"] = (200, {"Content-Type": "application/json"}, json.dumps(
        {"version": "1.0", "services": [[["cz"], [server.url("/rdap/")]]]}).encode())
    app.config["RDAP_BOOTSTRAP_URL"] = server.url("/dns.json")
    yield server
    server.server.shutdown()


def test_domain_expiration_comes_from_the_registrys_rdap_answer(client, as_, clock, registry, served):
    clock.set(datetime(2019, 6, 1, tzinfo=UTC))  # 90 days before the captured expiry
    check = make(client, as_, url="http://www.example.cz:9/", interval=300,
                 conditions=["[DOMAIN_EXPIRATION] > 720h", "[DOMAIN_EXPIRATION] < 2200h"])
    result = run(client, as_, check["id"])
    # The site itself does not answer (no such host here): Gatus judges by the conditions alone.
    assert result["ok"] is True and "request failed" in result["reason"]
    # www.example.cz is unknown to the registry; the domain it belongs to is asked next
    assert [path for path, _ in registry.hits if "/domain/" in path] == ["/rdap/domain/www.example.cz",
                                                                        "/rdap/domain/example.cz"]
    clock.set(datetime(2026, 3, 2, tzinfo=UTC))  # long after it expired
    result = run(client, as_, check["id"])
    assert result["ok"] is False and "[DOMAIN_EXPIRATION] (-57" in result["reason"]


def test_domain_expiration_answers_are_cached(client, as_, clock, registry):
    clock.set(datetime(2019, 6, 1, tzinfo=UTC))
    check = make(client, as_, url="http://example.cz:9/", interval=300, conditions=["[DOMAIN_EXPIRATION] > 720h"])
    for _ in range(3):
        assert run(client, as_, check["id"])["ok"] is True
    assert sum(1 for path, _ in registry.hits if path == "/rdap/domain/example.cz") == 1
    assert sum(1 for path, _ in registry.hits if path == "/dns.json") == 1


def test_a_domain_the_registry_does_not_know_fails_the_condition_and_says_so(client, as_, registry):
    check = make(client, as_, url="http://unknown.cz:9/", interval=300, conditions=["[DOMAIN_EXPIRATION] > 720h"])
    result = run(client, as_, check["id"])
    assert result["ok"] is False and "the registry does not know unknown.cz" in result["reason"]


def test_domain_expiration_is_refused_on_a_check_run_more_often_than_every_5_minutes(client, as_):
    response = client.post("/checks", json={"name": "Often", "kind": "assertions", "url": "http://example.cz/",
                                            "interval": 60, "conditions": ["[DOMAIN_EXPIRATION] > 720h"]},
                           headers=as_("alice"))
    assert response.status_code == 422
    assert "minimum interval for an endpoint with a condition using the [DOMAIN_EXPIRATION]" in response.json["error"]["message"]


def test_a_failed_refresh_keeps_the_expiry_date_already_known(registry, clock):
    expiry = rdap.DomainExpiry(registry.url("/dns.json"))
    now = datetime(2019, 8, 29, tzinfo=UTC)  # within a day: kept an hour only
    assert asyncio.run(expiry.expiration("example.cz", now)).year == 2019
    del registry.routes["/rdap/domain/example.cz"]
    expiry.clock = lambda: 10**12  # far later: the cached answer is due for a refresh, which 404s
    assert asyncio.run(expiry.expiration("example.cz", now)) == datetime(2019, 8, 30, 12, tzinfo=UTC)


def test_ip_is_the_address_connected_to(client, as_, served):
    served.routes["/"] = (200, {}, b"ok")
    check = make(client, as_, url=served.url("/"), conditions=["[IP] == 127.0.0.1", "[IP] == pat(127.*)"])
    assert run(client, as_, check["id"])["ok"] is True
    client.patch(f"/checks/{check['id']}", json={"conditions": ["[IP] == any(10.0.0.1, ::1)"]}, headers=as_("alice"))
    assert run(client, as_, check["id"])["reason"] == "[IP] (127.0.0.1) == any(10.0.0.1, ::1)"


def test_connected_is_false_when_nothing_listens_and_gatus_judges_by_the_conditions(client, as_):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    check = make(client, as_, url=f"http://127.0.0.1:{port}/", conditions=["[CONNECTED] == false"])
    result = run(client, as_, check["id"])
    assert result["ok"] is True and "request failed" in result["reason"]
    client.patch(f"/checks/{check['id']}", json={"conditions": ["[CONNECTED] == true", "[STATUS] == 200"]},
                 headers=as_("alice"))
    result = run(client, as_, check["id"])
    assert result["ok"] is False and "[CONNECTED] (false) == true; [STATUS] (0) == 200" in result["reason"]


def test_body_that_is_not_json_is_matched_as_text(client, as_, served):
    served.routes["/"] = (200, {"Content-Type": "text/html"}, b"<html><h1>Example Domain</h1> served by nginx</html>")
    check = make(client, as_, url=served.url("/"),
                 conditions=["[BODY] == pat(*<h1>Example Domain</h1>*)", "len([BODY]) == 52", "has([BODY].x) == false"])
    result = run(client, as_, check["id"])
    assert result["ok"] is True, result


def test_a_tcp_check_judges_gatus_conditions(client, as_, served):
    port = served.server.server_address[1]
    check = make(client, as_, kind="tcp", host="127.0.0.1", port=port,
                 conditions=["[CONNECTED] == true", "[RESPONSE_TIME] < 1s", "[IP] == 127.0.0.1"])
    assert run(client, as_, check["id"])["ok"] is True


class DnsServer:
    """A real DNS server on loopback UDP: example.com A 93.184.215.14, TXT two strings; any other
    name NXDOMAIN."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stopped:
            try:
                wire, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            query = dns.message.from_wire(wire)
            answer = dns.message.make_response(query)
            question = query.question[0]
            if question.name.to_text() == "example.com.":
                kind = dns.rdatatype.to_text(question.rdtype)
                values = {"A": ["93.184.215.14"], "TXT": ['"v=spf1 -all"', '"hello"']}.get(kind, [])
                if values:
                    answer.answer.append(dns.rrset.from_text_list(question.name, 300, "IN", kind, values))
            else:
                answer.set_rcode(dns.rcode.NXDOMAIN)
            try:
                self.sock.sendto(answer.to_wire(), peer)
            except OSError:
                return

    def close(self):
        self.stopped = True
        self.sock.close()


@pytest.fixture()
def dns_server():
    server = DnsServer()
    yield server
    server.close()


def test_a_dns_check_with_a_server_gives_body_and_rcode_as_gatus_does(client, as_, dns_server):
    server = f"127.0.0.1:{dns_server.port}"
    check = make(client, as_, name="example-dns-query", kind="dns", host="example.com", server=server,
                 query_type="A", conditions=["[BODY] == 93.184.215.14", "[DNS_RCODE] == NOERROR"])
    result = run(client, as_, check["id"])
    assert result["ok"] is True, result
    missing = make(client, as_, name="missing-dns", kind="dns", host="nope.example", server=server,
                   conditions=["[DNS_RCODE] == NOERROR"])
    assert run(client, as_, missing["id"])["reason"] == "[DNS_RCODE] (NXDOMAIN) == NOERROR"
    txt = make(client, as_, name="txt-dns", kind="dns", host="example.com", server=server, query_type="TXT",
               conditions=["[BODY] == pat(*v=spf1 -all*)", "[BODY] == pat(*hello*)"])  # every TXT record, one a line
    result = run(client, as_, txt["id"])
    assert result["ok"] is True, result


def test_a_dns_server_that_does_not_answer_leaves_connected_false(dns_server, clock):
    dns_server.close()
    check = {"id": "x", "name": "x", "kind": "dns", "host": "example.com", "server": f"127.0.0.1:{dns_server.port}",
             "timeout": 0.5, "conditions": ["[CONNECTED] == true"]}
    result = engine.Engine(allow_private=True).run([check], clock.now())[0]
    assert result["ok"] is False and "[CONNECTED] (false) == true" in result["reason"]


def test_a_dns_server_on_a_private_address_is_refused_unless_allowed(base_config, clock, as_):
    from csp_status.app import create_app

    app = create_app({**base_config, "CSP_ALLOW_PRIVATE_TARGETS": False, "CLOCK": clock})
    response = app.test_client().post("/checks", json={"name": "dns", "kind": "dns", "host": "example.com",
                                                       "server": "127.0.0.1:53"}, headers=as_("alice"))
    assert response.status_code == 422 and response.json["error"]["code"] == "private_target"
