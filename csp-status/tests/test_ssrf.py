"""The SSRF guard on checks: an admin's check must not become a way to reach what only the
server can reach (loopback, the private network, the cloud's metadata service).

The default ``app`` fixture allows private targets (the other tests need loopback servers), so
these tests build their own app with the guard on. Where a test needs a target the guard would
refuse, it lets exactly that target in (an allow-list of one range) or stores the check behind
the guard's back, as a check created while its name still resolved elsewhere would be.

Providers are covered in test_providers.py (a redirect to a private address is refused there),
except DNS rebinding, which is here with the checks' (the same attack on the same guard).
"""
import datetime as dt
import socket
import ssl

import pytest
from conftest import Served
from csp_status import settings
from csp_status.app import create_app
from csp_status.checks import engine, storage
from csp_status.providers.fetch import FetchError, fetch
from polystatus.errors import Invalid

HTTP_KINDS = ("assertions", "freshness", "task")
KINDS = (*HTTP_KINDS, "tcp")

# Each is somewhere a check must not go unless an admin says so.
PRIVATE_TARGETS = {
    "loopback": "127.0.0.1",
    "private-10": "10.0.0.1",
    "cloud-metadata": "169.254.169.254",
    "ipv6-loopback": "::1",
    "ipv4-mapped-loopback": "::ffff:127.0.0.1",
    "unspecified": "0.0.0.0",
    "name-resolving-to-loopback": "localhost",
    # Shared address space (RFC 6598, 100.64.0.0/10): not "private" to Python's ipaddress, yet
    # never on the internet; Alibaba Cloud's metadata service lives here.
    "shared-address-space-metadata": "100.100.100.200",
}
# An address on the internet, written as an address so that no test depends on DNS.
PUBLIC = "93.184.216.34"


@pytest.fixture()
def make_app(base_config, clock):
    def make(allow_private):
        # PROPAGATE_EXCEPTIONS off: a crash shows up as the 500 a client would get, so an
        # assertion can say so, instead of the exception escaping the test client.
        return create_app({**base_config, "CSP_ALLOW_PRIVATE_TARGETS": allow_private, "CLOCK": clock,
                           "PUBLIC_URL": "https://status.example.com", "PROPAGATE_EXCEPTIONS": False})
    return make


class Listener:
    """A TCP port that only notes who connects: a private target a check must never reach.

    Connections are completed by the kernel and wait in the backlog, so counting them after a
    run shows whether the run connected, even though nothing here ever answers.
    """

    def __init__(self, host: str = "127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        try:
            self.sock.bind((host, 0))
        except OSError as exc:
            self.sock.close()
            pytest.skip(f"cannot listen on {host} here: {exc}")
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.host, self.port = host, self.sock.getsockname()[1]

    def contacts(self) -> int:
        count = 0
        while True:
            try:
                connection, _ = self.sock.accept()
            except BlockingIOError:
                return count
            connection.close()
            count += 1

    def close(self) -> None:
        self.sock.close()


@pytest.fixture()
def listener():
    port = Listener()
    yield port
    port.close()


def check_body(kind: str, host: str, port: int = 80, **extra) -> dict:
    if kind == "tcp":
        body = {"kind": "tcp", "host": host, "port": port}
    else:
        url_host = f"[{host}]" if ":" in host else host
        body = {"kind": kind, "url": f"http://{url_host}:{port}/health"}
        if kind == "freshness":
            body["max_age"] = 900
    return {"name": "SSRF probe", "interval": 60, "timeout": 2, **body, **extra}


def create(client, as_, body: dict):
    return client.post("/checks", json=body, headers=as_("alice"))


def outcome(response) -> tuple:
    """(status, error code or None): a refusal and its reason in one comparison."""
    body = response.get_json(silent=True) or {}
    return response.status_code, (body.get("error") or {}).get("code")


def stored_check(r, kind: str, host: str, port: int) -> dict:
    """A check saved without the creation-time guard: what a check created while its name
    resolved to a public address looks like once the name points inside."""
    check = {"id": f"moved{kind}", **check_body(kind, host, port)}
    storage.save(r, check)
    return check


class Resolver:
    """Stands in for DNS (socket.getaddrinfo, which both the guard and the HTTP client use):
    ``answers`` are given in turn for the test's names, the last one for good."""

    def __init__(self, monkeypatch, names: set, answers: list):
        self.names, self.answers, self.asked = names, answers, 0
        real = socket.getaddrinfo

        def getaddrinfo(host, *args, **kwargs):
            if host not in self.names:
                return real(host, *args, **kwargs)
            answer = self.answers[min(self.asked, len(self.answers) - 1)]
            self.asked += 1
            if answer is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return real(answer, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# ------------------------------------------------------------------------------ at creation
def kinds_and(targets: dict) -> list:
    """Every kind against every target, but a tcp check's IPv6 host: that one has tests of its
    own below (its failure is in how the host is read, not in the rule)."""
    return [pytest.param(kind, target, id=f"{kind}-{label}") for kind in KINDS for label, target in targets.items()
            if not (kind == "tcp" and ":" in target)]


@pytest.mark.parametrize(("kind", "target"), kinds_and(PRIVATE_TARGETS))
def test_a_check_to_a_private_address_is_refused_when_private_targets_are_not_allowed(make_app, as_, kind, target):
    client = make_app(False).test_client()
    response = create(client, as_, check_body(kind, target))
    # The code, not only the status: an admin must learn that the target is the problem.
    assert outcome(response) == (422, "private_target"), response.json
    assert client.get("/checks").json["checks"] == []


@pytest.mark.parametrize(("kind", "target"), kinds_and(PRIVATE_TARGETS))
def test_the_same_check_is_accepted_once_an_admin_allows_private_targets(make_app, as_, kind, target):
    # The control for the test above: the very same body passes when only the setting changes.
    response = create(make_app(True).test_client(), as_, check_body(kind, target))
    assert response.status_code == 201, response.json


@pytest.mark.parametrize("kind", KINDS)
def test_a_public_address_is_accepted_with_the_guard_on(make_app, as_, kind):
    response = create(make_app(False).test_client(), as_, check_body(kind, PUBLIC))
    assert response.status_code == 201, response.json


# The guard builds "http://<host>:<port>/" from a tcp check's host; an IPv6 literal needs
# brackets there, or the URL parser reads part of the address as the port (or no host at all).
@pytest.mark.parametrize("target", ["::1", "::ffff:127.0.0.1", "fd00:1::5"])
def test_a_tcp_check_to_a_private_ipv6_address_is_refused_as_a_private_target(make_app, as_, target):
    response = create(make_app(False).test_client(), as_, check_body("tcp", target, 22))
    assert outcome(response) == (422, "private_target"), response.json


def test_a_tcp_check_to_a_public_ipv6_address_is_accepted(make_app, as_):
    response = create(make_app(False).test_client(), as_, check_body("tcp", "2606:4700:4700::1111", 53))
    assert response.status_code == 201, response.json


ALLOW_LIST = "10.1.0.0/16, fd00:1::/32"


ALLOW_CASES = {
    "10.1.0.1": True,
    "10.1.255.254": True,
    "fd00:1::5": True,
    PUBLIC: True,  # the list adds ranges to the public internet, it does not replace it
    "10.0.255.255": False,  # just below the range
    "10.2.0.0": False,  # just above it
    "fd00:2::1": False,
    "127.0.0.1": False,
    "169.254.169.254": False,
    "localhost": False,
}


@pytest.mark.parametrize(("kind", "target", "admitted"), [
    pytest.param(kind, target, admitted, id=f"{kind}-{target}-{'admitted' if admitted else 'refused'}")
    for kind in ("assertions", "tcp") for target, admitted in ALLOW_CASES.items()
    if not (kind == "tcp" and ":" in target)])  # tcp and IPv6: see the tests above
def test_an_allow_list_admits_exactly_the_ranges_it_names(make_app, as_, kind, target, admitted):
    # Read through the setting an operator writes, so the parsing is part of what is tested.
    allowed = settings.load({"CSP_ALLOW_PRIVATE_TARGETS": ALLOW_LIST})["CSP_ALLOW_PRIVATE_TARGETS"]
    response = create(make_app(allowed).test_client(), as_, check_body(kind, target))
    if admitted:
        assert response.status_code == 201, response.json
    else:
        assert outcome(response) == (422, "private_target"), response.json


@pytest.mark.parametrize("kind", KINDS)
def test_a_check_cannot_be_moved_to_a_private_address_afterwards(make_app, as_, kind):
    client = make_app(False).test_client()
    check = create(client, as_, check_body(kind, PUBLIC)).json
    change = {"host": "169.254.169.254"} if kind == "tcp" else {"url": "http://169.254.169.254/latest/meta-data"}
    response = client.patch(f"/checks/{check['id']}", json=change, headers=as_("alice"))
    assert outcome(response) == (422, "private_target"), response.json
    kept = client.get(f"/checks/{check['id']}").json
    assert (kept.get("url"), kept.get("host")) == (check.get("url"), check.get("host"))


# ------------------------------------------------------------------------------- at run time
@pytest.mark.parametrize("kind", KINDS)
def test_the_engine_refuses_at_run_time_a_check_that_now_targets_a_private_address(r, served, listener, kind):
    served.routes["/health"] = (200, {"Content-Type": "application/json"}, b'{"status": "ok"}')
    port = listener.port if kind == "tcp" else served.server.server_address[1]
    check = stored_check(r, kind, "127.0.0.1", port)
    result = engine.Engine(allow_private=False).run([check])[0]
    assert result["ok"] is False
    assert "private or loopback" in result["reason"], result
    assert served.hits == [] and listener.contacts() == 0, "the private target was contacted"


def test_running_a_check_whose_name_now_resolves_to_loopback_is_refused_and_recorded(make_app, as_, served, monkeypatch):
    served.routes["/health"] = (200, {"Content-Type": "application/json"}, b'{"status": "ok"}')
    name = "moving.example.test"
    dns = Resolver(monkeypatch, {name}, [PUBLIC])
    app = make_app(False)
    client = app.test_client()
    created = create(client, as_, check_body("assertions", name, served.server.server_address[1]))
    assert created.status_code == 201, created.json
    dns.answers = ["127.0.0.1"]  # the name's owner points it inside, after the admin's check passed
    response = client.post(f"/checks/{created.json['id']}/run", headers=as_("bob"))
    assert response.status_code == 200, response.json
    assert response.json["ok"] is False and "private or loopback" in response.json["reason"], response.json
    assert served.hits == []
    last = client.get(f"/checks/{created.json['id']}").json["last_result"]
    assert last["ok"] is False and "private or loopback" in last["reason"]


@pytest.mark.parametrize("first_answer", [PUBLIC, None], ids=["public-first", "unresolvable-first"])
@pytest.mark.parametrize("kind", ["assertions", "tcp"])
def test_a_name_that_changes_its_answer_between_the_guard_and_the_connection_reaches_nothing_private(
        r, served, listener, monkeypatch, kind, first_answer):
    # DNS rebinding: the guard looks the name up, then the client looks it up again to connect.
    # An attacker's name server answers a public address (or nothing: the guard lets an
    # unresolvable name through) to the first question and loopback to the second. The
    # address checked must be the address connected to.
    served.routes["/health"] = (200, {"Content-Type": "application/json"}, b'{"status": "ok"}')
    name = "rebind.example.test"
    Resolver(monkeypatch, {name}, [first_answer, "127.0.0.1"])
    port = listener.port if kind == "tcp" else served.server.server_address[1]
    check = stored_check(r, kind, name, port)
    result = engine.Engine(allow_private=False).run([check])[0]
    contacted = bool(served.hits) or listener.contacts() > 0
    assert not contacted, f"the guard passed and the check reached loopback: {result}"
    assert result["ok"] is False


# -------------------------------------------------------------------------------- redirects
@pytest.mark.parametrize("allow", [["127.0.0.1/32"], True], ids=["only-the-first-hop-allowed", "everything-allowed"])
@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_a_check_reports_a_redirect_instead_of_following_it(make_app, as_, served, kind, allow):
    # The hop on 127.0.0.1 is allowed; the redirect points at 127.0.0.2, outside the allow-list.
    # Checks never follow redirects, so even with every target allowed the answer is the 302
    # itself and the second address is never contacted.
    inside = Listener("127.0.0.2")
    try:
        served.routes["/health"] = (302, {"Location": f"http://127.0.0.2:{inside.port}/latest/meta-data"}, b"")
        client = make_app(allow).test_client()
        created = create(client, as_, check_body(kind, "127.0.0.1", served.server.server_address[1]))
        assert created.status_code == 201, created.json
        result = client.post(f"/checks/{created.json['id']}/run", headers=as_("bob")).json
        assert result["status"] == 302 and result["ok"] is False, result
        assert inside.contacts() == 0, "the check followed the redirect"
        assert [path for path, _ in served.hits] == ["/health"]
    finally:
        inside.close()


# ----------------------------------------------------------------------------------- agents
@pytest.mark.parametrize("allow", [False, ["10.1.0.0/16"]], ids=["public-only", "allow-list"])
def test_agents_are_given_the_servers_rule_with_their_assignments(make_app, as_, allow):
    # An agent runs the same engine elsewhere; the rule it applies is the one it is sent here.
    client = make_app(allow).test_client()
    token = client.post("/agents", json={"region": "paris"}, headers=as_("alice")).json["token"]
    response = client.get("/agent/assignments", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    assert response.json["allow_private"] == allow


# -------------------------------------------------------------------------------- providers
STATUS = b'{"page": {"name": "Example"}, "status": {"indicator": "none", "description": "All good"}}'


@pytest.mark.parametrize("first_answer", [PUBLIC, None], ids=["public-first", "unresolvable-first"])
def test_a_provider_whose_name_changes_its_answer_after_the_guard_reaches_nothing_private(
        served, monkeypatch, first_answer):
    served.routes["/api/v2/status.json"] = (200, {"Content-Type": "application/json"}, STATUS)
    name = "rebind.example.test"
    Resolver(monkeypatch, {name}, [first_answer, "127.0.0.1"])
    with pytest.raises((FetchError, Invalid)):
        fetch(f"http://{name}:{served.server.server_address[1]}/api/v2/status.json", allow_private=False, timeout=2)
    assert served.hits == [], "the fetch connected to an address the guard never saw"


def test_a_provider_fetch_connects_to_the_address_it_checked_and_keeps_its_name(served, monkeypatch):
    served.routes["/api/v2/status.json"] = (200, {"Content-Type": "application/json"}, STATUS)
    name = "status.example.test"
    dns = Resolver(monkeypatch, {name}, ["127.0.0.1"])
    port = served.server.server_address[1]
    fetched = fetch(f"http://{name}:{port}/api/v2/status.json", allow_private=["127.0.0.0/8"], timeout=2)
    assert fetched.status == 200 and fetched.body == STATUS
    assert dns.asked == 1  # looked up once: the connection used the checked address
    assert served.hits[0][1]["Host"] == f"{name}:{port}"


def test_a_provider_fetch_tries_the_next_checked_address_when_one_refuses_the_connection(served, monkeypatch):
    # As a client connecting by name would (an IPv6 address first on a host without IPv6, say).
    served.routes["/api/v2/status.json"] = (200, {"Content-Type": "application/json"}, STATUS)
    name, port = "two.example.test", served.server.server_address[1]
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host != name:
            return real(host, *args, **kwargs)
        return real("127.0.0.2", *args, **kwargs) + real("127.0.0.1", *args, **kwargs)  # nobody on .2

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    fetched = fetch(f"http://{name}:{port}/api/v2/status.json", allow_private=["127.0.0.0/8"], timeout=2)
    assert fetched.body == STATUS and len(served.hits) == 1
    with pytest.raises(Invalid, match="private or loopback"):  # every address is checked, not just the one used
        fetch(f"http://{name}:{port}/api/v2/status.json", allow_private=["127.0.0.1/32"], timeout=2)


def test_a_pinned_request_keeps_credentials_port_and_query_and_names_the_host(monkeypatch):
    from csp_status import targets

    Resolver(monkeypatch, {"status.example.test"}, ["127.0.0.1"])
    [target] = targets.pinned("https://reader:s3cret@status.example.test:8443/api?x=1", ["127.0.0.0/8"])
    assert target.url == "https://reader:s3cret@127.0.0.1:8443/api?x=1"
    assert target.headers == {"Host": "status.example.test:8443"}
    assert target.extensions == {"sni_hostname": "status.example.test"}


def test_a_pinned_https_fetch_still_verifies_the_certificate_for_the_name(monkeypatch, tmp_path):
    # The connection goes to an address, but TLS must still ask for the name (SNI) and check
    # the certificate against it, or every real provider behind HTTPS would break.
    name = "secure.example.test"
    cert, key = _self_signed(tmp_path, name)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted, for this test only
    seen = {}
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, server_name, ctx: seen.update(sni=server_name)  # None: carry on
    server = Served(tls=context)
    server.routes["/status.json"] = (200, {"Content-Type": "application/json"}, STATUS)
    try:
        Resolver(monkeypatch, {name, "other.example.test"}, ["127.0.0.1"])
        port = server.server.server_address[1]
        fetched = fetch(f"https://{name}:{port}/status.json", allow_private=["127.0.0.0/8"], timeout=2)
        assert fetched.status == 200 and seen == {"sni": name}
        assert [(path, headers["Host"]) for path, headers in server.hits] == [("/status.json", f"{name}:{port}")]
        # the same server under a name its certificate does not carry is refused
        with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
            fetch(f"https://other.example.test:{port}/status.json", allow_private=["127.0.0.0/8"], timeout=2)
    finally:
        server.server.shutdown()


def _self_signed(tmp_path, name: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
