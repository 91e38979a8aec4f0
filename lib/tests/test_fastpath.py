"""The fast transport: what it answers, and everything it leaves to Flask untouched."""
from conftest import build
from polystatus import fastpath
from polystatus.errors import RateLimited


def fast_app(base_config):
    app = build(base_config)

    @app.post("/echo")
    def echo():
        from flask import request

        return {"flask": True, "body": request.get_data(as_text=True)}

    fast = fastpath.install(app)

    def echo_fast(request):
        data = request.json()
        if data == "crash":
            raise RuntimeError("a bug in the fast path")
        if data == "limited":
            return request.error(RateLimited("Slow down.", retry_after=7))
        if not isinstance(data, dict):
            return None
        return request.json_answer(200, {"flask": False, **data})

    fast.add("POST", "/echo", echo_fast)
    return app, fast


def test_a_fast_answer_has_the_platforms_headers_and_metrics(base_config):
    app, fast = fast_app(base_config)
    client = app.test_client()
    response = client.post("/echo", json={"a": 1}, headers={"X-Request-ID": "abc-1"})
    assert response.json == {"flask": False, "a": 1} and fast.answered == 1
    assert response.headers["X-Request-ID"] == "abc-1" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] and response.headers["Content-Length"] == str(len(response.data))
    assert 'route="/echo",service="demo",status="200"} 1.0' in client.get("/metrics").get_data(as_text=True)


def test_a_forged_request_id_is_replaced(base_config):
    app, _ = fast_app(base_config)
    response = app.test_client().post("/echo", json={}, headers={"X-Request-ID": "bad id <script>"})
    assert len(response.headers["X-Request-ID"]) == 32 and "<" not in response.headers["X-Request-ID"]


def test_what_the_fast_path_declines_reaches_flask_with_its_body_intact(base_config):
    app, fast = fast_app(base_config)
    response = app.test_client().post("/echo", json=[1, 2])
    assert response.json == {"flask": True, "body": "[1, 2]"} and fast.answered == 0


def test_a_crash_in_the_fast_path_is_answered_by_flask(base_config):
    app, fast = fast_app(base_config)
    response = app.test_client().post("/echo", json="crash")
    assert response.status_code == 200 and response.json["flask"] is True and fast.answered == 0


def test_cors_requests_always_go_through_flask(base_config):
    app, fast = fast_app(base_config)
    response = app.test_client().post("/echo", json={"a": 1}, headers={"Origin": "http://allowed.example"})
    assert response.json["flask"] is True and response.headers["Access-Control-Allow-Origin"] == "http://allowed.example"


def test_errors_keep_the_one_shape(base_config):
    app, _ = fast_app(base_config)
    response = app.test_client().post("/echo", json="limited")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json["error"] == {"status": 429, "code": "rate_limited", "message": "Slow down.", "details": {}}
    assert response.json["request_id"] == response.headers["X-Request-ID"]


def test_the_fast_transport_can_be_turned_off(base_config):
    app = build({**base_config, "FASTPATHS": False})
    assert fastpath.install(app) is None and not isinstance(app.wsgi_app, fastpath.FastPaths)
