"""Every service gets these behaviours from the shared factory; they are tested once here."""


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error", "request_id"}, body
    assert {"status", "code", "message", "details"} <= set(body["error"])
    assert body["error"]["status"] == response.status_code
    return body["error"]


def test_healthz_answers_while_the_process_is_up(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_answers_ready_when_redis_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == "ok"


def test_readyz_answers_503_in_the_error_shape_when_redis_is_unreachable(base_config):
    from conftest import build
    from polystatus.testing import free_port

    app = build({**base_config, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert error_of(response)["code"] == "unavailable"


def test_an_unknown_route_is_a_json_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_wrong_method_is_a_json_405(client):
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_malformed_json_body_is_a_400_not_a_500(client, as_):
    response = client.post("/things", data="{not json", content_type="application/json", headers=as_("bob"))
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_a_body_missing_a_field_is_a_422_naming_the_field(client, as_):
    response = client.post("/things", json={"size": 3}, headers=as_("bob"))
    assert response.status_code == 422
    error = error_of(response)
    assert "name" in error["details"]["json"]


def test_a_domain_error_keeps_its_status_and_code(client, as_):
    response = client.post("/things", json={"name": "taken"}, headers=as_("bob"))
    assert response.status_code == 409
    assert error_of(response)["message"] == "That name is taken."


def test_an_unhandled_exception_is_a_json_500_that_hides_the_details(client):
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "kaboom" not in response.get_data(as_text=True)
    assert error_of(response)["code"] == "internal_error"


def test_an_oversized_body_is_a_413(client, as_):
    client.application.config["MAX_CONTENT_LENGTH"] = 2048
    response = client.post("/things", data="x" * 4096, content_type="application/json", headers=as_("bob"))
    assert response.status_code == 413


def test_the_request_id_is_echoed_when_given_and_made_when_not(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32


def test_metrics_count_requests_per_route(client):
    client.get("/healthz")
    client.get("/nowhere")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{method="GET",route="/healthz",service="demo",status="200"} 1.0' in text
    assert 'route="<unmatched>"' in text
    assert "http_request_duration_seconds_bucket" in text


def test_openapi_and_docs_are_served_without_internet(client):
    spec = client.get("/openapi.json").get_json()
    assert "/things" in spec["paths"]
    assert spec["paths"]["/things"]["post"]["security"] == [{"BearerAuth": []}, {"PolyStatusApiKey": []}]
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in page
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/ui/docs.js").status_code == 200


def test_the_docs_page_runs_no_inline_script_and_its_policy_forbids_one(client):
    response = client.get("/docs")
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "onload" not in html
    script_src = next(p for p in response.headers["Content-Security-Policy"].split(";") if "script-src" in p)
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src


def test_cors_allows_only_configured_origins(client):
    allowed = client.get("/healthz", headers={"Origin": "http://allowed.example"})
    assert allowed.headers.get("Access-Control-Allow-Origin") == "http://allowed.example"
    denied = client.get("/healthz", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_api_responses_carry_security_headers(client):
    response = client.get("/healthz")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_a_reserved_limit_admits_exactly_the_limit_across_processes(redis_url):
    import redis as redis_lib
    from polystatus.ratelimits import ReservedLimiter

    r = redis_lib.Redis.from_url(redis_url)
    first, second = ReservedLimiter(chunk=7), ReservedLimiter(chunk=7)  # two processes
    admitted = 0
    for i in range(200):
        limiter = first if i % 2 else second
        allowed, _ = limiter.hit(r, "sdk", 100, 60, now=1_000_000.0)
        admitted += allowed
    # early by at most one chunk per process, never late
    assert 100 - 2 * 7 <= admitted <= 100


def test_a_route_whose_redis_is_down_answers_503_with_retry_after(base_config):
    from conftest import build
    from polystatus.redis_store import get_redis
    from polystatus.testing import free_port

    app = build({**base_config, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})

    @app.get("/count")
    def count():
        return {"count": get_redis().incr("n")}

    response = app.test_client().get("/count")
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert error_of(response)["code"] == "unavailable"
