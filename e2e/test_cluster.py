"""The cluster as `make up` starts it: every service up, documented and observable."""
import pytest
from conftest import request

SERVICES = ["incidents", "users", "comms", "csp-status", "feature-flags", "frontend"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_is_ready_documented_and_measured(cluster, service):
    status, body, _ = request("GET", cluster.url(service, "/readyz"))
    assert status == 200, body
    status, spec, _ = request("GET", cluster.url(service, "/openapi.json"))
    assert status == 200 and spec["openapi"].startswith("3.") and spec["paths"]
    status, page, _ = request("GET", cluster.url(service, "/docs"))
    assert status == 200 and "swagger-ui" in page
    status, metrics, _ = request("GET", cluster.url(service, "/metrics"))
    assert status == 200 and "http_requests_total" in metrics


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_answers_errors_in_the_one_shape(cluster, service):
    status, body, _ = request("GET", cluster.url(service, "/no/such/route"))
    assert status == 404
    assert body["error"]["status"] == 404 and body["error"]["code"] == "not_found"


def test_a_users_token_is_verified_by_another_service_through_the_jwks_url(cluster, admin_token):
    headers = {"Authorization": f"Bearer {admin_token}"}
    status, body, _ = request("POST", cluster.url("incidents", "/components"),
                              {"name": "E2E verified component"}, headers)
    assert status == 201, body
    status, body, _ = request("POST", cluster.url("incidents", "/components"),
                              {"name": "Forged"}, {"Authorization": "Bearer not.a.token"})
    assert status == 401


def test_the_launchers_agent_reports_from_its_own_region(cluster):
    # The demo registers region agent-1 and the launcher's agent picks its token up from var/:
    # every demo check ends up with two regions, the server's own scheduler and the agent.
    import time

    deadline = time.monotonic() + 60
    regions = set()
    while time.monotonic() < deadline:
        status, body, _ = request("GET", cluster.url("csp-status", "/checks"))
        assert status == 200
        regions = {region for check in body["checks"] for region in check["regions"]}
        if {"local", "agent-1"} <= regions:
            break
        time.sleep(1)
    assert {"local", "agent-1"} <= regions, cluster.logs()[-3000:]


def test_our_statuspage_api_reads_back_through_csp_status_statuspage_adapter(cluster, admin_token):
    # Round trip: PolyStatus's own /api/v2/summary.json, polled by csp-status as a provider with
    # the very adapter that reads GitHub's or Cloudflare's pages, says what incidents says.
    auth = {"Authorization": f"Bearer {admin_token}"}
    status, component, _ = request("POST", cluster.url("incidents", "/components"),
                                   {"name": "Round-trip API", "id": "round-trip"}, auth)
    assert status == 201, component
    status, incident, _ = request("POST", cluster.url("incidents", "/incidents"), {
        "name": "Round trip: API errors", "status": "identified", "message": "Errors on the API.",
        "components": {"round-trip": "partial_outage"}}, auth)
    assert status == 201, incident
    status, provider, _ = request("POST", cluster.url("csp-status", "/providers"), {
        "name": "PolyStatus itself", "format": "statuspage",
        "url": cluster.url("incidents", "/api/v2/summary.json")}, auth)
    assert status == 201, provider
    status, polled, _ = request("POST", cluster.url("csp-status", f"/providers/{provider['id']}/poll"), None, auth)
    assert status == 200 and polled["error"] is None, polled
    components = {c["name"]: c for c in polled["components"]}
    assert components["Round-trip API"]["state"] == "partial_outage"
    assert "Round trip: API errors" in [i["name"] for i in polled["incidents"]]
    assert polled["state"] in ("partial_outage", "major_outage")  # other tests' incidents may be worse
    status, _, _ = request("POST", cluster.url("incidents", f"/incidents/{incident['id']}/updates"),
                           {"status": "resolved", "message": "Fixed."}, auth)
    assert status == 201
    status, polled, _ = request("POST", cluster.url("csp-status", f"/providers/{provider['id']}/poll"), None, auth)
    components = {c["name"]: c for c in polled["components"]}
    assert components["Round-trip API"]["state"] == "operational"
    assert "Round trip: API errors" not in [i["name"] for i in polled["incidents"]]
