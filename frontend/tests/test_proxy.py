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


def test_behind_the_edge_it_forwards_the_address_the_edge_saw(config, backends):
    from frontend.app import create_app

    backends.documents["POST /reports"] = lambda body: (202, {"accepted": True})
    # nginx appends the address it saw to what the client sent; the frontend trusts the edge
    # (TRUSTED_PROXIES, as `make up-ha` sets it) and takes the right-most address it does not trust.
    app = create_app({**config, "TRUSTED_PROXIES": ["127.0.0.1"]})
    response = app.test_client().post("/api/incidents/reports", json={"component_id": "api", "problem": "login"},
                           headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})
    app.extensions["page_cache"].refresher.shutdown(wait=True)
    assert response.status_code == 202
    assert backends.seen_headers[-1]["X-Forwarded-For"] == "198.51.100.7"


def test_without_a_trusted_edge_a_loopback_caller_cannot_choose_its_address(client, backends):
    backends.documents["POST /reports"] = lambda body: (202, {"accepted": True})
    # Under `make up` the frontend is the public entry: nobody in front of it is believed.
    response = client.post("/api/incidents/reports", json={"component_id": "api", "problem": "login"},
                           headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 202
    assert backends.seen_headers[-1]["X-Forwarded-For"] == "127.0.0.1"


def test_it_passes_the_callers_token_and_the_services_error_unchanged(client, backends):
    response = client.get("/api/users/me", headers={"Authorization": "Bearer abc"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert backends.seen_headers[-1]["Authorization"] == "Bearer abc"


def test_it_passes_every_value_of_a_repeated_query_parameter(client, backends):
    backends.documents["GET /auth/totp/accounts"] = {"accounts": []}
    assert client.get("/api/users/auth/totp/accounts?user_id=a&user_id=b&user_id=c").status_code == 200
    assert backends.seen_queries[-1] == "user_id=a&user_id=b&user_id=c"


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


SESSION_COOKIE = ("Set-Cookie", "polystatus_refresh=r1; Path=/api/users/auth; HttpOnly; SameSite=Strict")


def test_only_users_sets_the_session_cookie_on_the_public_origin(client, backends):
    backends.documents["POST /auth/login"] = (200, {"access_token": "a"}, "application/json", [SESSION_COOKIE])
    backends.documents["POST /subscribers"] = (202, {"message": "ok"}, "application/json",
                                               [("Set-Cookie", "polystatus_refresh=forged; Path=/")])
    signed_in = client.post("/api/users/auth/login", json={"email": "carol@example.com", "password": "x"})
    assert signed_in.headers.getlist("Set-Cookie") == [SESSION_COOKIE[1]]
    other = client.post("/api/comms/subscribers", json={"email": "carol@example.com"})
    assert other.status_code == 202 and other.headers.getlist("Set-Cookie") == []


def test_the_session_cookie_and_the_origin_reach_users_only(client, backends):
    backends.documents["POST /auth/refresh"] = {"access_token": "a"}
    backends.documents["POST /subscribers"] = (202, {"message": "ok"})
    client.set_cookie("polystatus_refresh", "r1", path="/")
    headers = {"Origin": "http://127.0.0.1:8080"}
    assert client.post("/api/users/auth/refresh", json={}, headers=headers).status_code == 200
    to_users = backends.seen_headers[-1]
    assert to_users["Cookie"] == "polystatus_refresh=r1" and to_users["Origin"] == "http://127.0.0.1:8080"
    assert client.post("/api/comms/subscribers", json={}, headers=headers).status_code == 202
    assert "Cookie" not in backends.seen_headers[-1] and "Origin" not in backends.seen_headers[-1]


def test_the_account_pages_are_served_uncached_and_send_no_referer(client):
    for path in ("/signup", "/signup/confirm", "/reset", "/account", "/subscribe", "/subscribe/confirm",
                 "/unsubscribe", "/ack"):
        response = client.get(path)
        assert response.status_code == 200 and b'data-page="' in response.data, path
        assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
