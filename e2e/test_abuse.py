"""Abuse, end to end: hostile requests against every service of the running cluster.

Two halves. First, what a hostile body or query string gets: a refusal in the one JSON error
shape, quickly, and never a 5xx. Each service is probed on a real JSON write route taken from
its live OpenAPI document and called as the admin, so that authorization lets the request
through and what is tested is how the body is read. Second, the rate limits: each holds at the
limit the service is configured with (429 with Retry-After), and one client exhausting it does
not lock out another.

The cluster is shared with the other end-to-end tests, which sign in as alice, bob and carol
from 127.0.0.1 and report problems through the frontend from there too. So nothing here uses
their accounts (only the session's admin token) or spends their address's budgets: the
rate-limit tests use accounts they register themselves and client addresses of their own,
given in X-Forwarded-For, which every service believes from loopback (TRUSTED_PROXIES defaults
to 127.0.0.1,::1, and the test process is on loopback). What they create (a component, two
heartbeats) is deleted at the end.
"""
from __future__ import annotations

import http.client
import json
import os
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from conftest import LOGIN_LIMIT_PER_ADDRESS, request

SERVICES = ["incidents", "users", "comms", "csp-status", "feature-flags", "frontend"]
BACKENDS = [service for service in SERVICES if service != "frontend"]
FAST_S = 2.0  # "quickly": a refusal must not cost the server (or the client) real time

# lib/polystatus/settings.py: MAX_CONTENT_LENGTH. The launcher passes the environment on to the
# services, so a value set there is the one they use, and the one used here.
MAX_BODY = int(os.environ.get("MAX_CONTENT_LENGTH", 1024 * 1024))
# users/users/settings.py, incidents/incidents/settings.py, csp-status/csp_status/settings.py
LOGIN_PER_ACCOUNT = int(os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", 10))  # failures, 15 minutes
LOGIN_PER_ADDRESS = LOGIN_LIMIT_PER_ADDRESS  # attempts, per minute: the cluster's setting
REGISTER_PER_ADDRESS = int(os.environ.get("REGISTER_LIMIT_PER_ADDRESS", 10))  # per hour
REPORTS_PER_ADDRESS = int(os.environ.get("REPORTS_PER_ADDRESS_PER_MINUTE", 30))
PINGS_PER_MINUTE = int(os.environ.get("PINGS_PER_MINUTE", 120))  # per heartbeat
ACCOUNT_LOCK_S = 900  # users/users/auth/views.py: failures are counted over 15 minutes

# One JSON write route per service (checked against the live documents below). users' route is
# probed on an account that does not exist, so a body that got through would meet a 404, never
# somebody's account; the frontend's is its proxy, here in front of incidents' POST /components.
MISSING = "abuse-probe-missing"
WRITE_ROUTES = {
    "incidents": ("POST", "/components", "/components"),
    "users": ("PATCH", "/users/{user_id}", f"/users/{MISSING}"),
    "comms": ("POST", "/banners", "/banners"),
    "csp-status": ("POST", "/checks", "/checks"),
    "feature-flags": ("POST", "/flags", "/flags"),
    "frontend": ("POST", "/api/{service}/{path}", "/api/incidents/components"),
}
# The fast transport (lib/polystatus/fastpath.py) reads the bodies of incidents' POST /reports
# itself before Flask does: it must give the same answers. (Anonymous: reports need no token.)
FAST_ROUTE = ("incidents", "POST", "/reports")
BODY_TARGETS = [pytest.param(service, method, path, id=service) for service, (method, _, path) in WRITE_ROUTES.items()]
BODY_TARGETS.append(pytest.param(*FAST_ROUTE, id="incidents-reports-fast-transport"))

# Client addresses of this file's own (TEST-NET-2, RFC 5737): no other test uses them, so the
# limits they exhaust are nobody else's.
ADDRESS = {name: f"198.51.100.{i}" for i, name in enumerate([
    "register-locked", "register-other", "login-account", "login-account-elsewhere", "login-address",
    "login-address-elsewhere", "register-limit", "register-elsewhere", "reporter", "other-reporter",
    "pinger", "other-pinger", "streamer"], start=10)}


# ------------------------------------------------------------------------------------ helpers
@dataclass
class Answer:
    status: int
    body: object  # parsed JSON, or the text
    headers: dict  # lower-case names
    seconds: float


def send(url: str, method: str = "POST", body: bytes = b"", headers: dict | None = None, *,
         declared_length: int | None = None, chunks: list[bytes] | None = None, timeout: float = 10.0) -> Answer:
    """One request with full control of the bytes sent (urllib always sends what it declares).

    ``declared_length``: send this Content-Length but only ``body`` (a client announcing a huge
    body, or trickling it); ``chunks``: send the body with Transfer-Encoding: chunked.
    """
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    started = time.monotonic()
    try:
        try:
            if declared_length is not None:
                connection.putrequest(method, target)
                for name, value in {**(headers or {}), "Content-Length": str(declared_length)}.items():
                    connection.putheader(name, value)
                connection.endheaders(body)
            elif chunks is not None:
                # A generator has no length: http.client sends it chunked.
                connection.request(method, target, body=(chunk for chunk in chunks), headers=headers or {})
            else:
                connection.request(method, target, body=body, headers=headers or {})
        except ConnectionError:
            pass  # the server may answer and close before reading everything: read the answer
        response = connection.getresponse()
        raw = response.read()
    except TimeoutError:
        pytest.fail(f"{method} {url}: no answer within {timeout} s")
    except ConnectionError as exc:
        pytest.fail(f"{method} {url}: the connection was dropped without an answer ({exc!r})")
    finally:
        connection.close()
    seconds = time.monotonic() - started
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Answer(response.status, parsed, {k.lower(): v for k, v in response.getheaders()}, seconds)


def assert_error(answer: Answer, statuses: tuple, what: str) -> None:
    """``answer`` is one of ``statuses`` in the one JSON error shape, and came quickly."""
    assert answer.status in statuses, f"{what}: {answer.status}, expected {statuses}: {str(answer.body)[:300]}"
    body = answer.body
    assert isinstance(body, dict) and set(body) == {"error", "request_id"}, f"{what}: not the error shape: {body!r:.300}"
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"status", "code", "message", "details"}, f"{what}: {body!r:.300}"
    assert error["status"] == answer.status, f"{what}: error.status {error['status']} but HTTP {answer.status}"
    assert error["code"] and error["message"] and isinstance(error["details"], dict), f"{what}: {body!r:.300}"
    assert isinstance(body["request_id"], str) and body["request_id"], f"{what}: no request id"
    assert answer.seconds < FAST_S, f"{what}: answered in {answer.seconds:.2f} s"


def assert_rate_limited(answer: Answer, window_s: int, what: str) -> None:
    assert_error(answer, (429,), what)
    assert answer.body["error"]["code"] == "rate_limited", f"{what}: {answer.body}"
    retry_after = answer.headers.get("retry-after", "")
    # A client must be told when to come back, and not to wait longer than the window lasts.
    assert retry_after.isdigit() and 1 <= int(retry_after) <= window_s, f"{what}: Retry-After {retry_after!r}"


def with_room_in_the_window(window_s: int, needed_s: float) -> None:
    """Wait for a fresh fixed window if the current one ends within ``needed_s``.

    The limits count in fixed windows (lib/polystatus/ratelimits.py: the window is
    time // window_s, on this same machine's clock); a burst that straddled two would see the
    count start again and could not tell a limit that holds from one that does not."""
    left = window_s - time.time() % window_s
    if left < needed_s:
        time.sleep(left + 0.05)


def in_parallel(function, items: list) -> list:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(function, items))


def admin(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def forwarded(address: str) -> dict:
    return {"X-Forwarded-For": address}


@pytest.fixture(scope="module")
def documents(cluster) -> dict:
    found = {}
    for service in SERVICES:
        status, spec, _ = request("GET", cluster.url(service, "/openapi.json"))
        assert status == 200, (service, spec)
        found[service] = spec
    return found


@pytest.fixture(scope="module", autouse=True)
def _timing(cluster):
    """Shown with -s: how long this file keeps the shared cluster busy."""
    started = time.monotonic()
    yield
    print(f"\nabuse tests: {time.monotonic() - started:.1f} s")


# ------------------------------------------------------------------------------ hostile bodies
def test_every_probed_write_route_is_a_documented_json_write_route(documents):
    for service, (method, template, _) in WRITE_ROUTES.items():
        operation = documents[service]["paths"].get(template, {}).get(method.lower())
        assert operation is not None, f"{service} no longer documents {method} {template}"
        if service != "frontend":  # the proxy takes any body; what it reaches is checked next
            assert "application/json" in operation.get("requestBody", {}).get("content", {}), (service, template)
    behind_the_proxy = documents["incidents"]["paths"]["/components"]["post"]
    assert "application/json" in behind_the_proxy["requestBody"]["content"]
    assert "application/json" in documents["incidents"]["paths"]["/reports"]["post"]["requestBody"]["content"]


@pytest.mark.parametrize(("service", "method", "path"), BODY_TARGETS)
def test_a_body_over_the_size_limit_is_refused_with_413_at_once(cluster, admin_token, service, method, path):
    body = b'{"name": "' + b"x" * (MAX_BODY + 1024) + b'"}'
    answer = send(cluster.url(service, path), method, body,
                  {**admin(admin_token), "Content-Type": "application/json"})
    assert_error(answer, (413,), f"{service} {method} {path} with {len(body)} bytes")


@pytest.mark.parametrize(("service", "method", "path"), BODY_TARGETS)
def test_a_body_announced_over_the_size_limit_is_refused_before_it_arrives(cluster, admin_token, service, method, path):
    # Announce 64 MiB and send five bytes: a server that waited for the rest would hold a
    # thread per such client for as long as the client likes. The answer must come from the
    # Content-Length alone (the client here waits at most 5 s).
    answer = send(cluster.url(service, path), method, b'{"a":',
                  {**admin(admin_token), "Content-Type": "application/json"},
                  declared_length=64 * 1024 * 1024, timeout=5.0)
    assert_error(answer, (413,), f"{service} {method} {path} announcing 64 MiB")


@pytest.mark.parametrize(("service", "method", "path"), BODY_TARGETS)
def test_a_streamed_body_over_the_size_limit_is_refused_not_cut_short(cluster, admin_token, service, method, path):
    # Transfer-Encoding: chunked declares no length, so the limit can only be enforced while
    # reading. The body is a valid JSON document padded with whitespace past the limit: a
    # server that silently cut it at the limit would find the JSON well-formed and act on it
    # (a validation error, a 404) instead of refusing the size.
    padding = b" " * (64 * 1024)
    chunks = [b"{}"] + [padding] * (MAX_BODY // len(padding) + 2)
    answer = send(cluster.url(service, path), method, headers={**admin(admin_token), "Content-Type": "application/json"},
                  chunks=chunks)
    assert_error(answer, (413,), f"{service} {method} {path} with a chunked body of {sum(map(len, chunks))} bytes")


# The control for the test above, on the two routes whose bodies the fast transport reads
# first: a streamed body within the limit must be read, not taken for an empty one. Each
# answer shows the body was read: a report is counted; an OFREP context that is not an object
# is refused (were the body dropped, the flag would simply be evaluated without a context).
@pytest.mark.parametrize("route", ["incidents-report", "ofrep-evaluation"])
def test_a_small_streamed_body_reaches_the_fast_transport_intact(cluster, component, route):
    if route == "incidents-report":
        answer = send(cluster.url("incidents", "/reports"), "POST",
                      headers={"Content-Type": "application/json", **forwarded(ADDRESS["streamer"])},
                      chunks=[json.dumps({"component_id": component, "problem_type": "errors"}).encode()])
        assert (answer.status, answer.body) == (202, {"accepted": True, "counted": True}), answer.body
    else:
        answer = send(cluster.url("feature-flags", "/ofrep/v1/evaluate/flags/abuse-probe"), "POST",
                      headers={"Content-Type": "application/json"}, chunks=[b'{"context": 5}'])
        assert (answer.status, answer.body.get("errorCode")) == (400, "INVALID_CONTEXT"), answer.body


@pytest.mark.parametrize(("service", "method", "path"), BODY_TARGETS)
def test_deeply_nested_json_is_refused_as_the_clients_error(cluster, admin_token, service, method, path):
    # 100,000 levels in 100 kB, well under the size limit: a recursive parser runs out of stack
    # long before. That is the client's fault (4xx), not the server's (5xx, logged as a crash).
    answer = send(cluster.url(service, path), method, b"[" * 100_000,
                  {**admin(admin_token), "Content-Type": "application/json"})
    assert_error(answer, (400, 413, 422), f"{service} {method} {path} with JSON nested 100,000 deep")


@pytest.mark.parametrize(("service", "method", "path"), BODY_TARGETS)
def test_a_json_looking_body_sent_as_plain_text_is_refused_with_415(cluster, admin_token, service, method, path):
    # Read as JSON anyway, a text/plain body would let a cross-site form post (which may send
    # text/plain without a CORS preflight) reach a JSON route.
    answer = send(cluster.url(service, path), method, b'{"name": "Plain text", "component_id": "api"}',
                  {**admin(admin_token), "Content-Type": "text/plain"})
    assert_error(answer, (415, 400), f"{service} {method} {path} as text/plain")


@pytest.mark.parametrize(("service", "method", "path"), BODY_TARGETS)
def test_invalid_utf8_in_a_json_body_is_refused_with_400(cluster, admin_token, service, method, path):
    answer = send(cluster.url(service, path), method, b'{"name": "caf\xe9 \xff\xfe"}',
                  {**admin(admin_token), "Content-Type": "application/json"})
    assert_error(answer, (400,), f"{service} {method} {path} with invalid UTF-8")


# 60 kB goes to the fast transport (it takes bodies up to 64 kB), 600 kB to the Flask route.
@pytest.mark.parametrize("depth", [5_000, 50_000], ids=["fast-transport", "flask"])
def test_an_sdks_deeply_nested_evaluation_context_is_a_parse_error_not_a_crash(cluster, depth):
    # OFREP answers in its own error shape ({errorCode, errorDetails}), which SDKs parse; a body
    # the protocol cannot read is its PARSE_ERROR. Both the single and the bulk evaluation are
    # public (no API key in the e2e cluster) and read the body themselves.
    body = b'{"context": ' * depth
    for path in ("/ofrep/v1/evaluate/flags/abuse-probe", "/ofrep/v1/evaluate/flags"):
        answer = send(cluster.url("feature-flags", path), "POST", body, {"Content-Type": "application/json"})
        assert answer.status == 400, f"POST {path}: {answer.status} {str(answer.body)[:200]}"
        assert answer.body.get("errorCode") == "PARSE_ERROR", answer.body
        assert answer.seconds < FAST_S


# ------------------------------------------------------------------------ hostile query strings
# Expected to page (or limit) something: a service here whose documents list no bounded integer
# query parameter any more has lost its paging or its documentation, either worth a look.
PAGED = {"incidents", "users", "comms", "csp-status", "frontend"}
JUNK_PAGING = urllib.parse.urlencode({"page": 10**12, "per_page": 10**9, "limit": -1, "offset": -1, "days": 10**9})


def out_of_range(schema: dict) -> list:
    """Values a bounded integer parameter must refuse: far above, below, a number longer than
    Python will parse (4,300 digits), and one that is not an integer at all."""
    low, high = schema["minimum"], schema["maximum"]
    values = [10**12, 10**9, -1, low - 1, "9" * 5000, "1e309"]
    return [v for i, v in enumerate(values) if v not in values[:i] and not (isinstance(v, int) and low <= v <= high)]


def documented_paging(documents: dict, service: str) -> list:
    """(path to call, parameter, schema) of every integer query parameter in the documents; the
    frontend is probed through its proxy on the backends' parameters."""
    found = []
    for source in (BACKENDS if service == "frontend" else [service]):
        prefix = f"/api/{source}" if service == "frontend" else ""
        for template, item in documents[source]["paths"].items():
            for parameter in item.get("get", {}).get("parameters", []):
                if parameter["in"] == "query" and parameter.get("schema", {}).get("type") == "integer":
                    path = prefix + "/".join(MISSING if part.startswith("{") else part for part in template.split("/"))
                    found.append((path, parameter["name"], parameter["schema"]))
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_huge_or_negative_paging_parameters_are_refused_and_never_crash_a_read(cluster, admin_token, documents, service):
    probes = documented_paging(documents, service)
    assert bool(probes) == (service in PAGED), f"{service}: documented paging parameters {probes}"
    problems = []
    for path, name, schema in probes:
        if "maximum" not in schema or "minimum" not in schema:
            problems.append(f"{path}?{name}: unbounded ({schema}), so per_page=10**9 would be served")
            continue
        for value in out_of_range(schema):
            answer = send(cluster.url(service, f"{path}?{urllib.parse.urlencode({name: value})}"), "GET",
                          headers=admin(admin_token))
            what = f"GET {path}?{name}={str(value)[:20]}"
            try:
                assert_error(answer, (422, 400), what)
                assert name in json.dumps(answer.body["error"]["details"]), f"{what}: details do not name {name}"
            except AssertionError as exc:
                problems.append(str(exc).split("\n")[0])
    # Routes that document no paging must ignore such parameters, not trip on them.
    reads = [template for template, item in documents[service]["paths"].items() if "get" in item and "{" not in template]
    for template in reads:
        answer = send(cluster.url(service, f"{template}?{JUNK_PAGING}"), "GET", headers=admin(admin_token))
        if answer.status >= 500 or answer.seconds >= FAST_S:
            problems.append(f"GET {template}?{JUNK_PAGING}: {answer.status} in {answer.seconds:.2f} s")
    assert not problems, f"{len(problems)} problems on {service}:\n  " + "\n  ".join(problems)


# ------------------------------------------------------------------------------- rate limits
def register(cluster, email: str, password: str, address: str):
    return request("POST", cluster.url("users", "/users"),
                   {"email": email, "password": password, "display_name": "Abuse test"}, forwarded(address))


def sign_in(cluster, email: str, password: str, address: str) -> Answer:
    return send(cluster.url("users", "/auth/login"), "POST", json.dumps({"email": email, "password": password}).encode(),
                {"Content-Type": "application/json", **forwarded(address)})


def throwaway(tag: str) -> dict:
    token = uuid.uuid4().hex[:10]
    return {"email": f"abuse-{tag}-{token}@example.com", "password": f"throwaway passphrase {token}"}


@pytest.fixture(scope="module")
def accounts(cluster) -> dict:
    """Two accounts of this file's own: one to lock, one that must stay usable."""
    made = {"locked": throwaway("locked"), "other": throwaway("other")}

    def make(who: str):
        return register(cluster, made[who]["email"], made[who]["password"], ADDRESS[f"register-{who}"])

    for who, (status, body, _) in zip(made, in_parallel(make, list(made)), strict=True):
        assert status == 201, (who, body)
    return made


@pytest.fixture(scope="module")
def locked_account(cluster, accounts) -> list:
    """Locks accounts["locked"] with exactly LOGIN_PER_ACCOUNT wrong passwords; the answers."""
    email = accounts["locked"]["email"]
    return in_parallel(lambda i: sign_in(cluster, email, f"wrong guess number {i}", ADDRESS["login-account"]),
                       list(range(LOGIN_PER_ACCOUNT)))


def test_sign_ins_are_limited_per_account_without_locking_out_other_accounts(cluster, accounts, locked_account):
    assert [a.status for a in locked_account] == [401] * LOGIN_PER_ACCOUNT
    locked, other = accounts["locked"], accounts["other"]
    # Past the limit even the right password is refused: guessing stops, and a lucky guess
    # cannot be told from a wrong one.
    assert_rate_limited(sign_in(cluster, locked["email"], locked["password"], ADDRESS["login-account"]),
                        ACCOUNT_LOCK_S, "the right password after the failures")
    # The account is what is limited: moving to another address does not help a guesser.
    assert_rate_limited(sign_in(cluster, locked["email"], locked["password"], ADDRESS["login-account-elsewhere"]),
                        ACCOUNT_LOCK_S, "the locked account from another address")
    # Somebody else, even from the very address the guesses came from, signs in as usual.
    answer = sign_in(cluster, other["email"], other["password"], ADDRESS["login-account"])
    assert answer.status == 200 and answer.body.get("access_token"), answer.body


def test_sign_ins_are_limited_per_address_without_locking_out_other_addresses(cluster, accounts, locked_account):
    locked, other = accounts["locked"], accounts["other"]
    address = ADDRESS["login-address"]
    with_room_in_the_window(60, 15)
    # Every attempt counts against the address. The first LIMIT - 1 go to the locked account,
    # which refuses them before any password hash is computed, so they cost the server little.
    spent = [sign_in(cluster, locked["email"], f"spray {i}", address) for i in range(LOGIN_PER_ADDRESS - 1)]
    assert {a.status for a in spent} == {429}, {a.status for a in spent}
    # The last attempt within the limit still works; the next is refused, right password or not.
    last = sign_in(cluster, other["email"], other["password"], address)
    assert last.status == 200, f"attempt {LOGIN_PER_ADDRESS} from one address: {last.status} {last.body}"
    assert_rate_limited(sign_in(cluster, other["email"], other["password"], address), 60,
                        f"attempt {LOGIN_PER_ADDRESS + 1} from one address")
    # The same person from another address is not locked out by what this address did.
    answer = sign_in(cluster, other["email"], other["password"], ADDRESS["login-address-elsewhere"])
    assert answer.status == 200, answer.body


def test_registrations_are_limited_per_address_without_locking_out_other_addresses(cluster):
    address = ADDRESS["register-limit"]
    with_room_in_the_window(3600, 30)
    # Every attempt counts (the limit is checked before the body is judged), so all but the last
    # allowed one use a password too short to accept: refused with 422 before any hash is made.
    for i in range(REGISTER_PER_ADDRESS - 1):
        status, body, _ = register(cluster, throwaway(f"weak{i}")["email"], "short", address)
        assert status == 422, (i, body)
    account = throwaway("register-last")
    status, body, _ = register(cluster, account["email"], account["password"], address)
    assert status == 201, f"registration {REGISTER_PER_ADDRESS} from one address: {status} {body}"
    refused = throwaway("register-over")
    answer = send(cluster.url("users", "/users"), "POST",
                  json.dumps({**refused, "display_name": "Abuse test"}).encode(),
                  {"Content-Type": "application/json", **forwarded(address)})
    assert_rate_limited(answer, 3600, f"registration {REGISTER_PER_ADDRESS + 1} from one address")
    assert sign_in(cluster, refused["email"], refused["password"], ADDRESS["register-elsewhere"]).status == 401, \
        "the refused registration created the account anyway"
    elsewhere = throwaway("register-elsewhere")
    status, body, _ = register(cluster, elsewhere["email"], elsewhere["password"], ADDRESS["register-elsewhere"])
    assert status == 201, body


@pytest.fixture(scope="module")
def component(cluster, admin_token):
    """A component of this file's own, so its reports move nothing another test looks at."""
    cid = f"abuse-{uuid.uuid4().hex[:8]}"
    status, body, _ = request("POST", cluster.url("incidents", "/components"),
                              {"id": cid, "name": "Abuse test component", "problem_types": ["errors"]},
                              admin(admin_token))
    assert status == 201, body
    yield cid
    request("DELETE", cluster.url("incidents", f"/components/{cid}"), headers=admin(admin_token))


def report(cluster, cid: str, headers: dict, service: str = "incidents", path: str = "/reports") -> Answer:
    return send(cluster.url(service, path), "POST", json.dumps({"component_id": cid, "problem_type": "errors"}).encode(),
                {"Content-Type": "application/json", **headers})


def test_problem_reports_are_limited_per_client_without_locking_out_other_clients(cluster, component):
    reporter = ADDRESS["reporter"]
    with_room_in_the_window(60, 10)
    accepted = [report(cluster, component, forwarded(reporter)) for _ in range(REPORTS_PER_ADDRESS)]
    assert [a.status for a in accepted] == [202] * REPORTS_PER_ADDRESS, [a.body for a in accepted if a.status != 202]
    # Counted once (later ones are duplicates), but every report costs the client its quota.
    assert [a.body["counted"] for a in accepted] == [True] + [False] * (REPORTS_PER_ADDRESS - 1)
    assert_rate_limited(report(cluster, component, forwarded(reporter)), 60,
                        f"report {REPORTS_PER_ADDRESS + 1} from one client")
    # A client cannot pick a fresh address by writing one in front of the chain: the right-most
    # address the trusted proxy did not add is the one that counts.
    assert_rate_limited(report(cluster, component, forwarded(f"203.0.113.77, {reporter}")), 60,
                        "a report with a made-up address prepended")
    other = report(cluster, component, forwarded(ADDRESS["other-reporter"]))
    assert (other.status, other.body.get("counted")) == (202, True), other.body


def test_the_frontend_passes_on_the_caller_it_saw_not_the_forwarded_for_it_was_sent(cluster, component):
    # incidents trusts the frontend (loopback) to say who the caller is; the frontend must say
    # what it saw (here: this test, on 127.0.0.1), not repeat a header the caller made up.
    # Were it passed on, two made-up addresses would be two clients, both counted. Two reports
    # only, so the budget of 127.0.0.1 (the browser tests report from it too) is barely touched.
    first = report(cluster, component, forwarded("203.0.113.1"), "frontend", "/api/incidents/reports")
    second = report(cluster, component, forwarded("203.0.113.2"), "frontend", "/api/incidents/reports")
    assert (first.status, second.status) == (202, 202), (first.body, second.body)
    assert (first.body["counted"], second.body["counted"]) == (True, False), \
        "the frontend let the caller choose its address"


@pytest.fixture(scope="module")
def heartbeats(cluster, admin_token):
    """Two heartbeats of this file's own, with a timeout long enough never to alert."""
    ids = []
    for n in (1, 2):
        status, body, _ = request("POST", cluster.url("csp-status", "/heartbeats"),
                                  {"name": f"Abuse test pings {n}", "timeout": 86400, "grace": 3600},
                                  admin(admin_token))
        assert status == 201, body
        ids.append(body["id"])
    yield ids
    for heartbeat_id in ids:
        request("DELETE", cluster.url("csp-status", f"/heartbeats/{heartbeat_id}"), headers=admin(admin_token))


def test_heartbeat_pings_are_limited_per_heartbeat_without_silencing_other_heartbeats(cluster, heartbeats):
    noisy, quiet = heartbeats
    pinger = forwarded(ADDRESS["pinger"])
    with_room_in_the_window(60, 15)
    answers = [send(cluster.url("csp-status", f"/ping/{noisy}"), "GET", headers=pinger) for _ in range(PINGS_PER_MINUTE)]
    assert [a.status for a in answers] == [200] * PINGS_PER_MINUTE, [a.body for a in answers if a.status != 200][:3]
    assert_rate_limited(send(cluster.url("csp-status", f"/ping/{noisy}"), "GET", headers=pinger), 60,
                        f"ping {PINGS_PER_MINUTE + 1} of one heartbeat")
    # The ping URL is the job's identity, so the limit is the heartbeat's: another address
    # pinging the same URL does not get around it ...
    assert_rate_limited(send(cluster.url("csp-status", f"/ping/{noisy}"), "GET",
                             headers=forwarded(ADDRESS["other-pinger"])), 60, "the same heartbeat from elsewhere")
    # ... and another job's pings, even from the same host, still land.
    answer = send(cluster.url("csp-status", f"/ping/{quiet}"), "GET", headers=pinger)
    assert (answer.status, answer.body) == (200, "OK"), answer.body
