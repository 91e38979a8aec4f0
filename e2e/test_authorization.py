"""Authorization, end to end: every write route of every service against six identities.

The table EXPECTED below is the intent, written from the views (``require_role`` and the
special rules), not from what the cluster happens to answer: a route whose real protection
differs fails here instead of being recorded as normal. It must list every POST/PUT/PATCH/
DELETE that the live ``/openapi.json`` documents, so a new write route cannot ship without
somebody deciding who may call it.

"Passing authorization" means any answer but 401 and 403. Every probe aims at an id that does
not exist (or an id the route refuses as malformed) with an empty JSON body, so an identity that
is let through gets 400/404/409/422 and nothing in the shared cluster changes; the one
exception, the signing-key rotation, is explained where it happens.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass

import jwt
import pytest
import redis
from conftest import request
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SERVICES = ["incidents", "users", "comms", "csp-status", "feature-flags", "frontend"]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# users/users/demo.py: bob is staff, carol is a user; alice is the first admin (conftest.ADMIN).
DEMO_PASSWORD = "polystatus-demo-2026"
DEMO = {"bob": "bob@example.com", "carol": "carol@example.com"}

IDENTITIES = ("anonymous", "carol", "bob", "alice", "expired", "foreign")
ROLE_OF = {"carol": "user", "bob": "staff", "alice": "admin"}
RANK = {"user": 1, "staff": 2, "admin": 3}
# No valid token: refused with 401 wherever a token is needed, whatever role it claims.
WITHOUT_VALID_TOKEN = ("anonymous", "expired", "foreign")

# ops/launcher.py: users' base port and Redis database, and the private Redis's base port.
USERS_BASE_PORT, USERS_REDIS_DB, REDIS_BASE_PORT = 5002, 2, 6390
# lib/polystatus/auth.py: a service refetches the JWKS for an unknown kid at most this often.
JWKS_COOLDOWN_S = 5


@dataclass(frozen=True)
class Rule:
    """Who gets through a route, among the six identities."""

    label: str
    admits: frozenset
    # What a signed-in person whom the rule does not admit gets: 403 (role too low), or 401
    # where a user's JWT is not the kind of credential the route takes at all.
    refusal: int = 403


def at_least(role: str) -> Rule:
    return Rule(f"{role} or above", frozenset(p for p, r in ROLE_OF.items() if RANK[r] >= RANK[role]))


def open_to_all(why: str) -> Rule:
    return Rule(f"public ({why})", frozenset(IDENTITIES))


USER, STAFF, ADMIN_ONLY = at_least("user"), at_least("staff"), at_least("admin")
PUBLIC = open_to_all("anyone")
# Probed on someone else's account (a missing id), so only the admin may go on; the "self"
# half is covered by test_people_change_their_own_account_and_only_admins_change_roles.
SELF_OR_ADMIN = Rule("self or admin", frozenset({"alice"}))
# A service token is not among the six identities: of them, only the admin gets through.
ADMIN_OR_SERVICE = Rule("admin or service token", frozenset({"alice"}))
# An agent presents the token POST /agents gave it; nobody's JWT, not even an admin's, is one.
AGENT_TOKEN = Rule("agent token", frozenset(), refusal=401)
CREDENTIAL_IN_BODY = open_to_all("the body carries the credential")
PING_URL = open_to_all("healthchecks.io ping: the unguessable URL is the secret")
MEGA_TEST_API = open_to_all("mega_test_api contract: applications post their status")
OFREP = open_to_all("OFREP: an API key only when FLAGS_API_KEYS is set, and the e2e cluster sets none")


@dataclass(frozen=True)
class PassThrough:
    """The frontend's proxy decides nothing: each probe must get exactly the backend's rule."""

    label: str
    probes: tuple  # (service, method, template) keys of EXPECTED, reached through the proxy


EXPECTED = {
    # incidents: staff write; anybody may press "I have a problem" (deduplicated, rate limited).
    ("incidents", "POST", "/components"): STAFF,
    ("incidents", "PATCH", "/components/{component_id}"): STAFF,
    ("incidents", "DELETE", "/components/{component_id}"): STAFF,
    ("incidents", "POST", "/component-groups"): STAFF,
    ("incidents", "PATCH", "/component-groups/{group_id}"): STAFF,
    ("incidents", "DELETE", "/component-groups/{group_id}"): STAFF,
    ("incidents", "POST", "/incidents"): STAFF,
    ("incidents", "POST", "/incidents/{incident_id}/updates"): STAFF,
    ("incidents", "POST", "/incidents/{incident_id}/takeover"): STAFF,
    ("incidents", "POST", "/maintenances"): STAFF,
    ("incidents", "POST", "/maintenances/{maintenance_id}/updates"): STAFF,
    ("incidents", "DELETE", "/maintenances/{maintenance_id}"): STAFF,
    ("incidents", "POST", "/reports"): open_to_all("anonymous problem reports"),
    # users: registration and the token endpoints are how one gets a credential in the first place.
    ("users", "POST", "/users"): open_to_all("registration, always as role user"),
    ("users", "PATCH", "/users/{user_id}"): SELF_OR_ADMIN,
    ("users", "DELETE", "/users/{user_id}"): SELF_OR_ADMIN,
    ("users", "POST", "/auth/login"): CREDENTIAL_IN_BODY,
    ("users", "POST", "/auth/refresh"): CREDENTIAL_IN_BODY,
    ("users", "POST", "/auth/logout"): CREDENTIAL_IN_BODY,
    ("users", "POST", "/auth/token"): CREDENTIAL_IN_BODY,
    ("users", "POST", "/auth/keys/rotate"): ADMIN_ONLY,
    ("users", "PUT", "/users/me/follows/{incident_id}"): USER,
    ("users", "DELETE", "/users/me/follows/{incident_id}"): USER,
    ("users", "PUT", "/users/me/subscriptions/{component_id}"): USER,
    ("users", "DELETE", "/users/me/subscriptions/{component_id}"): USER,
    ("users", "DELETE", "/users/{user_id}/follows/{incident_id}"): ADMIN_OR_SERVICE,
    ("users", "DELETE", "/users/{user_id}/subscriptions/{component_id}"): ADMIN_OR_SERVICE,
    # comms: staff post banners and announcements and acknowledge alerts; admins own channels
    # (their URLs hold webhook secrets) and the delivery machinery.
    ("comms", "POST", "/banners"): STAFF,
    ("comms", "PATCH", "/banners/{banner_id}"): STAFF,
    ("comms", "DELETE", "/banners/{banner_id}"): STAFF,
    ("comms", "POST", "/announcements"): STAFF,
    ("comms", "POST", "/alerts/{alert_id}/ack"): STAFF,
    ("comms", "POST", "/channels"): ADMIN_ONLY,
    ("comms", "PATCH", "/channels/{channel_id}"): ADMIN_ONLY,
    ("comms", "DELETE", "/channels/{channel_id}"): ADMIN_ONLY,
    ("comms", "POST", "/dead-letters/{delivery_id}/retry"): ADMIN_ONLY,
    ("comms", "POST", "/reports/runs"): ADMIN_OR_SERVICE,
    # csp-status: admins configure what is watched (targets reach the network); staff may run a
    # check now; jobs ping anonymously; agents post results with their own token.
    ("csp-status", "POST", "/providers"): ADMIN_ONLY,
    ("csp-status", "PATCH", "/providers/{provider_id}"): ADMIN_ONLY,
    ("csp-status", "DELETE", "/providers/{provider_id}"): ADMIN_ONLY,
    ("csp-status", "PUT", "/providers/{provider_id}/mappings"): ADMIN_ONLY,
    ("csp-status", "POST", "/providers/{provider_id}/poll"): ADMIN_ONLY,
    ("csp-status", "POST", "/config/reload"): ADMIN_ONLY,
    ("csp-status", "POST", "/checks"): ADMIN_ONLY,
    ("csp-status", "PATCH", "/checks/{check_id}"): ADMIN_ONLY,
    ("csp-status", "DELETE", "/checks/{check_id}"): ADMIN_ONLY,
    ("csp-status", "POST", "/checks/{check_id}/run"): STAFF,
    ("csp-status", "POST", "/heartbeats"): ADMIN_ONLY,
    ("csp-status", "PATCH", "/heartbeats/{heartbeat_id}"): ADMIN_ONLY,
    ("csp-status", "DELETE", "/heartbeats/{heartbeat_id}"): ADMIN_ONLY,
    ("csp-status", "POST", "/ping/{heartbeat_id}"): PING_URL,
    ("csp-status", "POST", "/ping/{heartbeat_id}/{suffix}"): PING_URL,
    ("csp-status", "POST", "/api/apps/"): MEGA_TEST_API,
    ("csp-status", "POST", "/agents"): ADMIN_ONLY,
    ("csp-status", "DELETE", "/agents/{agent_id}"): ADMIN_ONLY,
    ("csp-status", "POST", "/agent/results"): AGENT_TOKEN,
    # feature-flags: admins write flags (a flag changes production behaviour); SDKs evaluate.
    ("feature-flags", "POST", "/flags"): ADMIN_ONLY,
    ("feature-flags", "PATCH", "/flags/{key}"): ADMIN_ONLY,
    ("feature-flags", "DELETE", "/flags/{key}"): ADMIN_ONLY,
    ("feature-flags", "PUT", "/flags/import"): ADMIN_ONLY,
    ("feature-flags", "POST", "/segments"): ADMIN_ONLY,
    ("feature-flags", "POST", "/ofrep/v1/evaluate/flags/{key}"): OFREP,
    ("feature-flags", "POST", "/ofrep/v1/evaluate/flags"): OFREP,
    # frontend: one origin for the browser; the caller's token goes through untouched.
    ("frontend", "POST", "/api/{service}/{path}"): PassThrough(
        "pass-through", (("incidents", "POST", "/components"), ("incidents", "POST", "/reports"))),
    ("frontend", "PUT", "/api/{service}/{path}"): PassThrough(
        "pass-through", (("feature-flags", "PUT", "/flags/import"),)),
    ("frontend", "PATCH", "/api/{service}/{path}"): PassThrough(
        "pass-through", (("comms", "PATCH", "/banners/{banner_id}"),)),
    ("frontend", "DELETE", "/api/{service}/{path}"): PassThrough(
        "pass-through", (("csp-status", "DELETE", "/checks/{check_id}"),)),
}

# Rotating the signing key cannot be probed without rotating it: it is done once, by the
# admin, after every other probe (see test_every_write_route_admits_exactly_the_intended_identities).
ROTATION = ("users", "POST", "/auth/keys/rotate")

MISSING = "authz-probe-missing"
# Ids the follow routes refuse as malformed (more than 64 characters): 400 before any write,
# so an admitted person's follows and subscriptions stay as they are.
MALFORMED = "x" * 65
PATH_VALUES = {
    # A well-formed UUID that no heartbeat has: the ping reaches the lookup and gets 404.
    "heartbeat_id": "00000000-0000-4000-8000-00000000a17e",
    "suffix": "fail",
}

# A route whose body is validated before its credential is checked would answer 422 to
# everybody for an empty body; such a route gets the smallest well-formed body instead, so the
# probe reaches the credential check. (POST /agent/results does this: agent_required wraps the
# view inside @bp.input, unlike require_role, which app_factory checks before validation.) Its
# result names a check that does not exist, so even a wrongly admitted caller records nothing.
PROBE_BODIES = {
    ("csp-status", "POST", "/agent/results"): {"results": [
        {"id": "authz-probe-0001", "check_id": MISSING, "ok": True, "at": "2026-01-01T00:00:00Z"}]},
}

REQUESTS_MADE = [0]


def fill(template: str) -> str:
    path = template
    for name in [part[1:-1] for part in template.split("/") if part.startswith("{")]:
        value = MALFORMED if template.startswith("/users/me/") else PATH_VALUES.get(name, MISSING)
        path = path.replace("{" + name + "}", value)
    return path


def send(method: str, url: str, headers: dict, body=None):
    REQUESTS_MADE[0] += 1
    if body is None and method in ("POST", "PUT", "PATCH"):
        body = {}  # empty: enough to pass the JSON-body check, never enough to create anything
    status, answer, _ = request(method, url, body, headers)
    return status, answer


def error_code(answer) -> str:
    if isinstance(answer, dict):
        error = answer.get("error")
        return error.get("code", "") if isinstance(error, dict) else str(answer.get("errorCode", ""))
    return ""


def mismatch(rule: Rule, who: str, status: int) -> str | None:
    if who in rule.admits:
        if status in (401, 403):
            return f"refused with {status}, but the rule admits {who}"
        if status >= 500:
            return f"admitted, but the probe broke the route ({status})"
        return None
    expected = 401 if who in WITHOUT_VALID_TOKEN else rule.refusal
    if status != expected:
        return f"{status}, expected {expected} ({'passed authorization!' if status not in (401, 403) else 'wrong refusal'})"
    return None


@pytest.fixture(scope="module")
def write_routes(cluster) -> set:
    """(service, METHOD, path template) of every write route the live documents describe."""
    found = set()
    for service in SERVICES:
        status, spec, _ = request("GET", cluster.url(service, "/openapi.json"))
        assert status == 200, (service, spec)
        for path, item in spec["paths"].items():
            for method in item:
                if method.upper() in WRITE_METHODS:
                    found.add((service, method.upper(), path))
    return found


@pytest.fixture(scope="session")
def demo_tokens(cluster) -> dict:
    """bob's and carol's access tokens, signed in once per session (sign-ins are rate limited)."""
    tokens = {}
    for who, email in DEMO.items():
        status, body, _ = request("POST", cluster.url("users", "/auth/login"),
                                  {"email": email, "password": DEMO_PASSWORD})
        assert status == 200, (who, body)
        tokens[who] = body["access_token"]
    return tokens


@pytest.fixture(scope="session")
def forged_tokens(cluster, admin_token) -> dict:
    """Tokens carrying alice's real claims (the most privileged, so the strongest test):

    - expired: signed by the users service's real current key, exp in the past;
    - foreign: a fresh exp, signed by a new Ed25519 key that claims the real kid;
    - control: a fresh exp, real key: proves the other two differ by one thing only.
    """
    offset = int(cluster.url("users").rsplit(":", 1)[1]) - USERS_BASE_PORT
    redis_port = int(os.environ.get("POLYSTATUS_REDIS_PORT", REDIS_BASE_PORT)) + offset
    r = redis.Redis(host="127.0.0.1", port=redis_port, db=USERS_REDIS_DB, decode_responses=True)
    try:
        kid = r.get("signing-key:current")  # users/users/auth/storage.py
        pem = json.loads(r.hget("signing-keys", kid))["pem"]
    finally:
        r.close()
    real_key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert jwt.get_unverified_header(admin_token)["kid"] == kid, "alice's token was not signed by the current key"
    claims = jwt.decode(admin_token, options={"verify_signature": False})
    now = int(time.time())

    def mint(key, iat: int, exp: int) -> str:
        return jwt.encode({**claims, "iat": iat, "exp": exp, "jti": uuid.uuid4().hex}, key,
                          algorithm="EdDSA", headers={"kid": kid})

    return {"expired": mint(real_key, now - 3600, now - 1800),
            "foreign": mint(Ed25519PrivateKey.generate(), now, now + 600),
            "control": mint(real_key, now, now + 600)}


@pytest.fixture(scope="session")
def headers_of(admin_token, demo_tokens, forged_tokens) -> dict:
    bearer = {"alice": admin_token, **demo_tokens, "expired": forged_tokens["expired"],
              "foreign": forged_tokens["foreign"]}
    return {"anonymous": {}, **{who: {"Authorization": f"Bearer {token}"} for who, token in bearer.items()}}


def test_every_write_route_in_the_live_api_documents_is_classified(write_routes):
    unclassified = sorted(write_routes - EXPECTED.keys())
    gone = sorted(EXPECTED.keys() - write_routes)
    assert not unclassified, ("write routes nobody has decided the protection of; add them to EXPECTED:\n"
                              + "\n".join(f"  {s} {m} {p}" for s, m, p in unclassified))
    assert not gone, ("EXPECTED lists write routes the live documents no longer have:\n"
                      + "\n".join(f"  {s} {m} {p}" for s, m, p in gone))


@pytest.mark.parametrize("service", SERVICES)
def test_every_write_route_admits_exactly_the_intended_identities(service, cluster, write_routes, headers_of):
    probes = []  # (route key, rule, method, url, body)
    for key, rule in EXPECTED.items():
        if key[0] != service or key not in write_routes:
            continue  # a route missing from the live documents is the classification test's to report
        _, method, template = key
        if isinstance(rule, PassThrough):
            for backend in rule.probes:
                _, backend_method, backend_template = backend
                assert backend_method == method, f"{key}: probe {backend} uses another method"
                url = cluster.url(service, f"/api/{backend[0]}{fill(backend_template)}")
                probes.append((key + (f"-> {backend[0]} {backend_template}",), EXPECTED[backend], method, url,
                               PROBE_BODIES.get(backend)))
        else:
            probes.append((key, rule, method, cluster.url(service, fill(template)), PROBE_BODIES.get(key)))
    assert probes, f"no write route of {service} was probed"
    # The rotation goes last so that every other probe of users runs against the key in use.
    probes.sort(key=lambda probe: probe[0] == ROTATION)

    mismatches = []
    for key, rule, method, url, body in probes:
        for who in IDENTITIES:
            status, answer = send(method, url, headers_of[who], body)
            if os.environ.get("AUTHZ_DEBUG"):  # with -s: every probe's answer, to read the whole matrix
                print(service, " ".join(key[1:]), who, status, error_code(answer))
            problem = mismatch(rule, who, status)
            if problem:
                mismatches.append(f"{' '.join(key[1:])} [{rule.label}] as {who}: {problem} {error_code(answer)}".rstrip())
            if key == ROTATION and who == "alice" and status < 300:
                # Alice really rotated the key. That is harmless by design: the old key stays in
                # the JWKS until its tokens expire, so every token minted so far still verifies.
                # But a service that fetched the JWKS less than JWKS_COOLDOWN_S ago would refuse
                # a token signed by the new key (the next sign-in, in test_browser.py) until then.
                time.sleep(JWKS_COOLDOWN_S + 1)
    assert not mismatches, (f"{len(mismatches)} of {len(probes) * len(IDENTITIES)} {service} probes "
                            "disagree with the intended rules:\n  " + "\n  ".join(mismatches))


def test_people_change_their_own_account_and_only_admins_change_roles(cluster, headers_of):
    """The "self" half of SELF_OR_ADMIN, and the escalation it must not allow."""
    ids = {}
    for who in ("carol", "bob", "alice"):
        status, body, _ = request("GET", cluster.url("users", "/auth/me"), headers=headers_of[who])
        assert status == 200, (who, body)
        ids[who] = body["id"]

    def patch(who: str, whom: str, body: dict):
        return send("PATCH", cluster.url("users", f"/users/{ids[whom]}"), headers_of[who], body)

    # An empty change passes every check and changes nothing: the authorization alone is seen.
    assert patch("carol", "carol", {})[0] == 200
    assert patch("bob", "bob", {})[0] == 200
    assert patch("alice", "carol", {})[0] == 200
    assert patch("carol", "bob", {})[0] == 403
    assert patch("bob", "carol", {})[0] == 403
    status, answer = patch("carol", "carol", {"role": "staff"})
    if status < 300:
        # Put carol back before failing: the browser tests sign her in as a plain user.
        patch("alice", "carol", {"role": "user"})
    assert status == 403, f"carol made herself staff: {status} {answer}"
    status, answer = patch("bob", "bob", {"role": "admin"})
    if status < 300:
        patch("alice", "bob", {"role": "staff"})
    assert status == 403, f"bob made himself admin: {status} {answer}"


def test_signed_links_that_act_on_a_get_need_their_signature_whatever_the_token(cluster, headers_of):
    """Not write methods, but they change state: a link in an email acknowledges an alert or
    unsubscribes someone. The signature is the credential; no bearer token, not even an admin's,
    stands in for it. (The ids do not exist, so a missing check would answer 404, not act.)"""
    links = ["/alerts/authz-probe-missing/ack?s=not-a-signature",
             "/unsubscribe?u=authz-probe-missing&k=follows&t=authz-probe-missing&s=not-a-signature"]
    answers = {(link, who): send("GET", cluster.url("comms", link), headers_of[who])[0]
               for link in links for who in IDENTITIES}
    wrong = {case: status for case, status in answers.items() if status != 403}
    assert not wrong, f"a signed link acted without a valid signature: {wrong}"


def test_the_forged_tokens_are_refused_for_the_reason_they_were_forged(cluster, forged_tokens):
    """Otherwise the table would only show that malformed tokens are refused.

    users verifies its own tokens from its key ring; every other service through the JWKS URL:
    both verifiers are asked.
    """
    for service, path in (("users", "/auth/me"), ("feature-flags", "/flags")):
        url = cluster.url(service, path)
        status, body = send("GET", url, {"Authorization": f"Bearer {forged_tokens['control']}"})
        assert status == 200, (service, "control", status, body)
        status, body = send("GET", url, {"Authorization": f"Bearer {forged_tokens['expired']}"})
        assert (status, error_code(body)) == (401, "token_expired"), (service, "expired", body)
        status, body = send("GET", url, {"Authorization": f"Bearer {forged_tokens['foreign']}"})
        assert (status, error_code(body)) == (401, "token_invalid"), (service, "foreign", body)


@pytest.fixture(scope="module", autouse=True)
def _count_requests(cluster):
    """Shown with -s: how much this file asks of the shared cluster."""
    started = time.monotonic()
    yield
    print(f"\nauthorization probes: {REQUESTS_MADE[0]} requests in {time.monotonic() - started:.1f} s")
