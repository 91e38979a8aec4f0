"""One origin for the browser: the Statuspage API, the feeds, and the pass-through to services."""


def test_it_passes_the_statuspage_api_through_and_caches_it(client, backends):
    first = client.get("/api/v2/summary.json")
    assert first.status_code == 200
    assert first.get_json()["page"]["name"] == "Example Corp"
    assert "ETag" in first.headers
    client.get("/api/v2/summary.json")
    assert backends.hits["/api/v2/summary.json"] == 1


def test_it_serves_the_cached_statuspage_api_when_incidents_goes_down(app, client, backends):
    client.get("/api/v2/summary.json")
    backends.down.add("incidents")
    app.extensions["page_cache"].ttl = 0
    response = client.get("/api/v2/summary.json")
    assert response.status_code == 200
    assert response.get_json()["page"]["name"] == "Example Corp"


def test_it_answers_503_in_the_error_shape_when_nothing_is_cached_and_incidents_is_down(client, backends):
    backends.down.add("incidents")
    response = client.get("/api/v2/components.json")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"


def test_it_refuses_paths_outside_the_statuspage_api(client):
    response = client.get("/api/v2/../../admin")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_it_passes_the_feed_through_with_its_content_type(client):
    response = client.get("/history.rss")
    assert response.status_code == 200
    assert response.content_type.startswith("application/rss+xml")
    assert b"<rss" in response.data


def test_it_forwards_a_report_with_the_callers_address_not_the_one_it_claims(client, backends):
    backends.documents["POST /reports"] = lambda body: (202, {"accepted": True, "echo": body.decode()})
    response = client.post("/api/incidents/reports", json={"component_id": "api", "problem": "login"},
                           headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 202
    assert '"component_id": "api"' in response.get_json()["echo"]
    forwarded = backends.seen_headers[-1]
    assert forwarded["X-Forwarded-For"] == "198.51.100.7"
    assert forwarded["X-Request-ID"]


def test_it_passes_the_callers_token_and_the_services_error_unchanged(client, backends):
    response = client.get("/api/users/me", headers={"Authorization": "Bearer abc"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert backends.seen_headers[-1]["Authorization"] == "Bearer abc"


def test_it_refuses_a_service_it_does_not_know(client):
    response = client.get("/api/redis/keys")
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "No such service."


def test_it_answers_502_in_the_error_shape_when_a_service_is_unreachable(config):
    from frontend.app import create_app
    from polystatus.testing import free_port

    config = {**config, "BACKENDS": {**config["BACKENDS"], "comms": f"http://127.0.0.1:{free_port()}"}}
    response = create_app(config).test_client().get("/api/comms/banners")
    assert response.status_code == 502
    body = response.get_json()
    assert body["error"]["status"] == 502 and "comms" in body["error"]["message"]
