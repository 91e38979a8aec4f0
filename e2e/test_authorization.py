"""Authorization, end to end: every write route of every service against every identity
(people signed in with a password or with single sign-on, their API keys, forged tokens).

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
from conftest import request, sso_sign_in
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SERVICES = ["incidents", "users", "comms", "csp-status", "feature-flags", "frontend"]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# users/users/demo.py: bob is staff, carol is a user; alice is the first admin (conftest.ADMIN).
DEMO_PASSWORD = "polystatus-demo-2026"
DEMO = {"bob": "bob@example.com", "carol": "carol@example.com"}

# API keys (issue 20) are identities too: each person's key with every scope their role may
# hold acts exactly as that person (the ``*_key`` names); alice's key with only read scopes
# writes nowhere a role is needed (403 scope_missing); a revoked key is no credential (401).
# Single sign-on (issue 20) makes the same session as a password: sso_staff, made staff by the
# provider's groups (conftest.SSO_ROLE_MAP), acts exactly as bob.
IDENTITIES = ("anonymous", "carol", "bob", "alice", "expired", "foreign",
              "carol_key", "bob_key", "alice_key", "read_only_key", "revoked_key", "sso_staff")
ROLE_OF = {"carol": "user", "bob": "staff", "alice": "admin",
           "carol_key": "user", "bob_key": "staff", "alice_key": "admin", "sso_staff": "staff"}
RANK = {"user": 1, "staff": 2, "admin": 3}
# No valid token: refused with 401 wherever a token is needed, whatever role it claims.
WITHOUT_VALID_TOKEN = ("anonymous", "expired", "foreign", "revoked_key")
KEY_SERVICES = ("incidents", "users", "comms", "csp-status", "feature-flags")
# users/users/apikeys/service.py CEILING: the write scopes each role may hold (reads: all).
WRITE_SCOPES = {"carol": ("users",), "bob": ("users", "incidents", "comms", "csp-status"), "alice": KEY_SERVICES}

# ops/launcher.py: users' base port and Redis database, and the private Redis's base port.
USERS_BASE_PORT, USERS_REDIS_DB, REDIS_BASE_PORT = 5002, 2, 6390
# lib/polystatus/auth.py: a service refetches the JWKS for an unknown kid at most this often.
JWKS_COOLDOWN_S = 5


@dataclass(frozen=True)
class Rule:
    """Who gets through a route, among the identities."""

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
SELF_OR_ADMIN = Rule("self or admin", frozenset({"alice", "alice_key"}))
# A service token is not among the identities: of them, only the admin gets through.
ADMIN_OR_SERVICE = Rule("admin or service token", frozenset({"alice", "alice_key"}))
# A key is made by a signed-in person; another key cannot make one (it could outlive its maker).
SIGNED_IN_PERSON = Rule("user or above, signed in (not with an API key)",
                        frozenset({"carol", "bob", "alice", "sso_staff"}))
# Taking someone's second factor off is done by an admin in person, never by a script's key.
ADMIN_IN_PERSON = Rule("admin, signed in (not with an API key)", frozenset({"alice"}))
# An agent presents the token POST /agents gave it; nobody's JWT, not even an admin's, is one.
AGENT_TOKEN = Rule("agent token", frozenset(), refusal=401)
CREDENTIAL_IN_BODY = open_to_all("the body carries the credential")
# A refresh token (in the body, or the browser's session cookie) is the credential; no access
# token stands in for it, so an empty body is refused with 401 whoever sends it.
REFRESH_TOKEN = Rule("refresh token (body or session cookie)", frozenset(), refusal=401)
EMAILED_TOKEN = open_to_all("the emailed single-use token in the body is the credential")
# The signature in the query is the credential (tested by
# test_signed_links_that_act_need_their_signature_whatever_the_token): without one, 422 for all.
SIGNED_LINK = open_to_all("the signed link is the credential")
# Only a service token; of the identities, nobody gets through (a user's JWT has the wrong role).
SERVICE_ONLY = Rule("service token", frozenset())
PING_URL = open_to_all("healthchecks.io ping: the unguessable URL is the secret")
# Healthchecks' Management API v3 takes a project's X-Api-Key (made by an admin), never a JWT.
HEALTHCHECKS_API_KEY = Rule("Healthchecks API key (X-Api-Key)", frozenset(), refusal=401)
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
    ("incidents", "PATCH", "/incidents/{incident_id}"): STAFF,
    ("incidents", "PATCH", "/incidents/{incident_id}/updates/{update_id}"): STAFF,
    ("incidents", "DELETE", "/incidents/{incident_id}"): ADMIN_ONLY,
    ("incidents", "PUT", "/incidents/{incident_id}/postmortem"): STAFF,
    ("incidents", "PUT", "/incidents/{incident_id}/postmortem/publish"): STAFF,
    ("incidents", "PUT", "/incidents/{incident_id}/postmortem/revert"): STAFF,
    ("incidents", "POST", "/incident-templates"): STAFF,
    ("incidents", "PATCH", "/incident-templates/{template_id}"): STAFF,
    ("incidents", "DELETE", "/incident-templates/{template_id}"): STAFF,
    ("incidents", "PATCH", "/maintenances/{maintenance_id}"): STAFF,
    ("incidents", "POST", "/maintenances"): STAFF,
    ("incidents", "POST", "/maintenances/{maintenance_id}/updates"): STAFF,
    ("incidents", "DELETE", "/maintenances/{maintenance_id}"): STAFF,
    ("incidents", "POST", "/reports"): open_to_all("anonymous problem reports"),
    # users: registration and the token endpoints are how one gets a credential in the first place.
    ("users", "POST", "/users"): open_to_all("registration, always as role user"),
    ("users", "PATCH", "/users/{user_id}"): SELF_OR_ADMIN,
    ("users", "DELETE", "/users/{user_id}"): SELF_OR_ADMIN,
    ("users", "POST", "/auth/login"): CREDENTIAL_IN_BODY,
    ("users", "POST", "/auth/refresh"): REFRESH_TOKEN,
    ("users", "POST", "/auth/logout"): CREDENTIAL_IN_BODY,
    ("users", "POST", "/auth/token"): CREDENTIAL_IN_BODY,
    ("users", "POST", "/auth/keys/rotate"): ADMIN_ONLY,
    # Probed for real: it ends every refresh-token session of whoever is admitted. Harmless here:
    # the probes and the other tests hold access tokens, and the browser tests sign in afresh.
    ("users", "POST", "/auth/logout-everywhere"): USER,
    # sign-up and reset: anyone may ask for a link (rate limited, no enumeration); the emailed
    # token is the credential of the confirmations.
    ("users", "POST", "/auth/signup"): open_to_all("sign-up: a confirmation link is mailed"),
    ("users", "POST", "/auth/signup/confirm"): EMAILED_TOKEN,
    ("users", "POST", "/auth/reset"): open_to_all("forgotten password: a reset link is mailed"),
    ("users", "POST", "/auth/reset/confirm"): EMAILED_TOKEN,
    # a private page's read tokens: made and revoked by admins, checked by the frontend's service token
    ("users", "POST", "/page-tokens"): ADMIN_ONLY,
    ("users", "DELETE", "/page-tokens/{token_id}"): ADMIN_ONLY,
    ("users", "POST", "/page-tokens/check"): SERVICE_ONLY,
    ("users", "PUT", "/users/me/follows/{incident_id}"): USER,
    ("users", "DELETE", "/users/me/follows/{incident_id}"): USER,
    ("users", "PUT", "/users/me/subscriptions/{component_id}"): USER,
    ("users", "DELETE", "/users/me/subscriptions/{component_id}"): USER,
    ("users", "DELETE", "/users/{user_id}/follows/{incident_id}"): ADMIN_OR_SERVICE,
    ("users", "DELETE", "/users/{user_id}/subscriptions/{component_id}"): ADMIN_OR_SERVICE,
    # API keys: made by a signed-in person, revoked by their owner or an admin (probed on a
    # missing id), introspected by services only.
    ("users", "POST", "/api-keys"): SIGNED_IN_PERSON,
    ("users", "DELETE", "/api-keys/{key_id}"): USER,
    ("users", "POST", "/auth/api-keys/introspect"): SERVICE_ONLY,
    # Two-factor sign-in: managed by a signed-in person (never with a key; a code is needed to
    # turn it off, so an empty body is refused after authorization). Probed for real: the set-up
    # only stores a pending secret for 10 minutes, which changes nothing until a code confirms it.
    ("users", "POST", "/auth/totp/setup"): SIGNED_IN_PERSON,
    ("users", "POST", "/auth/totp/enable"): SIGNED_IN_PERSON,
    ("users", "POST", "/auth/totp/disable"): SIGNED_IN_PERSON,
    ("users", "POST", "/auth/login/totp"): CREDENTIAL_IN_BODY,
    ("users", "DELETE", "/users/{user_id}/totp"): ADMIN_IN_PERSON,
    # Passkeys: added and removed by a signed-in person (never with a key); the sign-in's
    # assertion in the body is the credential. Probed for real: the options only store a
    # challenge for five minutes, which nothing answers.
    ("users", "POST", "/auth/passkeys/register/options"): SIGNED_IN_PERSON,
    ("users", "POST", "/auth/passkeys/register"): SIGNED_IN_PERSON,
    ("users", "DELETE", "/auth/passkeys/{passkey_id}"): SIGNED_IN_PERSON,
    ("users", "POST", "/auth/passkeys/login/options"): open_to_all("a sign-in's first step: a challenge"),
    ("users", "POST", "/auth/passkeys/login"): CREDENTIAL_IN_BODY,
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
    ("comms", "POST", "/channels/{channel_id}/test"): ADMIN_ONLY,
    ("comms", "POST", "/dead-letters/{delivery_id}/retry"): ADMIN_ONLY,
    ("comms", "DELETE", "/dead-letters/{delivery_id}"): ADMIN_ONLY,
    ("comms", "POST", "/reports/runs"): ADMIN_OR_SERVICE,
    # account emails are asked for by users with its service token; no person's token will do.
    ("comms", "POST", "/messages"): SERVICE_ONLY,
    ("comms", "POST", "/subscribers"): open_to_all("email-only subscription, confirmed by a mailed link"),
    ("comms", "POST", "/subscribers/confirm"): EMAILED_TOKEN,
    ("comms", "DELETE", "/subscribers/{subscriber_id}"): ADMIN_ONLY,
    ("comms", "POST", "/unsubscribe"): SIGNED_LINK,
    ("comms", "POST", "/alerts/{alert_id}/ack/link"): SIGNED_LINK,
    # csp-status: admins configure what is watched (targets reach the network); staff may run a
    # check now; jobs ping anonymously; agents post results with their own token.
    ("csp-status", "POST", "/providers"): ADMIN_ONLY,
    ("csp-status", "PATCH", "/providers/{provider_id}"): ADMIN_ONLY,
    ("csp-status", "DELETE", "/providers/{provider_id}"): ADMIN_ONLY,
    ("csp-status", "PUT", "/providers/{provider_id}/mappings"): ADMIN_ONLY,
    ("csp-status", "POST", "/providers/{provider_id}/poll"): ADMIN_ONLY,
    ("csp-status", "POST", "/config/reload"): ADMIN_ONLY,
    ("comms", "POST", "/config/reload"): ADMIN_ONLY,
    ("csp-status", "POST", "/import/gatus"): ADMIN_ONLY,
    ("csp-status", "POST", "/checks"): ADMIN_ONLY,
    ("csp-status", "PATCH", "/checks/{check_id}"): ADMIN_ONLY,
    ("csp-status", "DELETE", "/checks/{check_id}"): ADMIN_ONLY,
    ("csp-status", "POST", "/checks/{check_id}/run"): STAFF,
    ("csp-status", "POST", "/heartbeats"): ADMIN_ONLY,
    ("csp-status", "PATCH", "/heartbeats/{heartbeat_id}"): ADMIN_ONLY,
    ("csp-status", "DELETE", "/heartbeats/{heartbeat_id}"): ADMIN_ONLY,
    ("csp-status", "POST", "/ping/{heartbeat_id}"): PING_URL,
    ("csp-status", "POST", "/ping/{heartbeat_id}/{suffix}"): PING_URL,
    ("csp-status", "POST", "/ping/{ping_key}/{slug}/{suffix}"): PING_URL,
    ("csp-status", "POST", "/heartbeats/projects"): ADMIN_ONLY,
    ("csp-status", "POST", "/heartbeats/api-keys"): ADMIN_ONLY,
    ("csp-status", "DELETE", "/heartbeats/api-keys/{key_id}"): ADMIN_ONLY,
    ("csp-status", "POST", "/api/v3/checks/"): HEALTHCHECKS_API_KEY,
    ("csp-status", "POST", "/api/v3/checks/{code}"): HEALTHCHECKS_API_KEY,
    ("csp-status", "DELETE", "/api/v3/checks/{code}"): HEALTHCHECKS_API_KEY,
    ("csp-status", "POST", "/api/v3/checks/{code}/pause"): HEALTHCHECKS_API_KEY,
    ("csp-status", "POST", "/api/v3/checks/{code}/resume"): HEALTHCHECKS_API_KEY,
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
    ("feature-flags", "DELETE", "/segments/{key}"): ADMIN_ONLY,
    ("feature-flags", "POST", "/ofrep/v1/evaluate/flags/{key}"): OFREP,
    ("feature-flags", "POST", "/ofrep/v1/evaluate/flags"): OFREP,
    # frontend: one origin for the browser; the caller's token goes through untouched.
    ("frontend", "POST", "/report"): open_to_all("'I have a problem' as a plain form, for pages without JavaScript"),
    # a private page's door: the password is the credential; the session cookie is made from a bearer token
    ("frontend", "POST", "/page-access"): open_to_all("the private page's password in the form is the credential"),
    ("frontend", "POST", "/page-access/session"): SIGNED_IN_PERSON,
    ("frontend", "DELETE", "/page-access/session"): open_to_all("signing out drops the page's cookie"),
    ("frontend", "POST", "/preview/markdown"): open_to_all("renders Markdown as the public pages do; changes nothing"),
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


@pytest.fixture(scope="module")
def demo_tokens(cluster) -> dict:
    """bob's and carol's access tokens, signed in once per session (sign-ins are rate limited)."""
    tokens = {}
    for who, email in DEMO.items():
        status, body, _ = request("POST", cluster.url("users", "/auth/login"),
                                  {"email": email, "password": DEMO_PASSWORD})
        assert status == 200, (who, body)
        tokens[who] = body["access_token"]
    return tokens


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def api_keys(cluster, admin_token, demo_tokens) -> dict:
    """The key identities: made through users's API by their owners, as a script's author would."""
    tokens = {"alice": admin_token, **demo_tokens}

    def make(who: str, scopes: list[str]) -> dict:
        status, key, _ = request("POST", cluster.url("users", "/api-keys"), {"name": f"authz {who}", "scopes": scopes},
                                 {"Authorization": f"Bearer {tokens[who]}"})
        assert status == 201, (who, key)
        return key

    reads = [f"{service}:read" for service in KEY_SERVICES]
    keys = {f"{who}_key": make(who, reads + [f"{service}:write" for service in WRITE_SCOPES[who]])["secret"]
            for who in ("carol", "bob", "alice")}
    keys["read_only_key"] = make("alice", reads)["secret"]
    revoked = make("alice", reads + [f"{service}:write" for service in KEY_SERVICES])
    status, _, _ = request("DELETE", cluster.url("users", f"/api-keys/{revoked['id']}"),
                           headers={"Authorization": f"Bearer {admin_token}"})
    assert status == 204
    keys["revoked_key"] = revoked["secret"]  # never used before its revocation: no cache holds it
    return keys


@pytest.fixture(scope="module")
def sso_token(cluster) -> str:
    """dana, whom the provider puts in the ops group, signed in by single sign-on."""
    token = sso_sign_in(cluster, "dana-at-idp", email="dana@example.com", email_verified=True, name="Dana",
                        groups=["ops"])
    assert jwt.decode(token, options={"verify_signature": False})["role"] == "staff"
    return token


@pytest.fixture(scope="module")
def headers_of(admin_token, demo_tokens, forged_tokens, api_keys, sso_token) -> dict:
    bearer = {"alice": admin_token, **demo_tokens, "expired": forged_tokens["expired"],
              "foreign": forged_tokens["foreign"], **api_keys, "sso_staff": sso_token}
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
            if key == ROTATION and who in ("alice", "alice_key") and status < 300:
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


def test_signed_links_that_act_need_their_signature_whatever_the_token(cluster, headers_of):
    """A link in an email or a chat message acknowledges an alert or unsubscribes someone. The
    signature is the credential; no bearer token, not even an admin's, stands in for it. The GET
    of an older link only leads on to the public page, after the same check. (The ids do not
    exist, so a missing check would answer 404 or 200, not 403.)"""
    links = [("GET", "/alerts/authz-probe-missing/ack?s=not-a-signature"),
             ("POST", "/alerts/authz-probe-missing/ack/link?s=not-a-signature"),
             ("GET", "/unsubscribe?u=authz-probe-missing&k=follows&t=authz-probe-missing&s=not-a-signature"),
             ("POST", "/unsubscribe?u=authz-probe-missing&k=email&t=all&s=not-a-signature")]
    answers = {(method, link, who): request(method, cluster.url("comms", link), None, headers_of[who])[0]
               for method, link in links for who in IDENTITIES}
    REQUESTS_MADE[0] += len(answers)
    wrong = {case: status for case, status in answers.items() if status != 403}
    assert not wrong, f"a signed link acted without a valid signature: {wrong}"


def test_the_session_cookie_routes_refuse_a_request_from_another_origin(cluster):
    """CSRF: the routes that read the session cookie answer only our own pages' Origin."""
    status, body, headers = request("POST", cluster.public + "/api/users/auth/login",
                                    {"email": "carol@example.com", "password": DEMO_PASSWORD, "session": "cookie"})
    assert status == 200 and "refresh_token" not in body
    cookie = next(v for k, v in headers.items() if k.lower() == "set-cookie").split(";", 1)[0]
    for path in ("/api/users/auth/refresh", "/api/users/auth/logout"):
        status, body, _ = request("POST", cluster.public + path, {},
                                  {"Cookie": cookie, "Origin": "https://attacker.example"})
        assert (status, error_code(body)) == (403, "csrf"), (path, status, body)
    status, body, _ = request("POST", cluster.public + "/api/users/auth/refresh", {},
                              {"Cookie": cookie, "Origin": cluster.public})
    assert status == 200 and body["access_token"]


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
