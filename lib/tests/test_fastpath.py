"""The fast transport: what it answers, and everything it leaves to Flask untouched."""
import logging

import pytest
from conftest import build
from polystatus import fastpath
from polystatus.errors import RateLimited


def fast_app(base_config):
    app = build(base_config)
    app.extensions["written"] = []

    @app.post("/echo")
    def echo():
        from flask import request

        return {"flask": True, "body": request.get_data(as_text=True)}

    @app.post("/notes/<note_id>/append")
    def append(note_id):
        app.extensions["written"].append(("flask", note_id))
        return {"flask": True}

    @app.get("/peek/<note_id>")
    def peek(note_id):
        return {"flask": True, "note": note_id}

    fast = fastpath.install(app)

    def append_fast(request):
        app.extensions["written"].append(("fast", request.path.split("/")[2]))
        raise RuntimeError("a bug after the write")

    def peek_fast(request):
        raise RuntimeError("a bug in a read")

    def echo_fast(request):
        data = request.json()
        if data == "crash":
            raise RuntimeError("a bug in the fast path")
        if data == "limited":
            return request.error(RateLimited("Slow down.", retry_after=7))
        if not isinstance(data, dict):
            return None
        return request.json_answer(200, {"flask": False, **data})

    fast.add("echo", echo_fast, access="anyone")
    fast.add("append", append_fast, access="anyone")
    fast.add("peek", peek_fast)
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


def test_a_crash_in_a_fast_read_is_answered_by_flask_and_logged_as_an_error(base_config, caplog):
    app, fast = fast_app(base_config)
    with caplog.at_level(logging.ERROR, logger="polystatus.fastpath"):
        response = app.test_client().get("/peek/n1")
    assert response.status_code == 200 and response.json == {"flask": True, "note": "n1"} and fast.answered == 0
    assert [record.levelname for record in caplog.records] == ["ERROR"]


def test_a_fast_write_that_fails_after_its_write_answers_an_error_and_is_not_replayed(base_config, caplog):
    app, fast = fast_app(base_config)
    with caplog.at_level(logging.ERROR, logger="polystatus.fastpath"):
        response = app.test_client().post("/notes/n1/append", json={})
    assert response.status_code == 500 and response.json["error"]["code"] == "internal_error"
    assert app.extensions["written"] == [("fast", "n1")]  # once, and never by Flask
    assert caplog.records[0].levelname == "ERROR" and caplog.records[0].exc_info


def test_a_crash_in_a_fast_write_before_anything_else_is_an_error_answer_too(base_config):
    app, fast = fast_app(base_config)
    response = app.test_client().post("/echo", json="crash")
    assert response.status_code == 500 and response.json["error"]["code"] == "internal_error"


def test_a_fast_write_route_cannot_be_registered_without_its_access_rule(base_config):
    app, fast = fast_app(base_config)
    with pytest.raises(ValueError, match="access rule"):
        fast.add("echo", lambda request: None)
    with pytest.raises(ValueError, match="unknown access rule"):
        fast.add("echo", lambda request: None, access="whoever")
    with pytest.raises(ValueError, match="role-guarded"):
        fast.add("create_thing", lambda request: None, access="anyone")
    with pytest.raises(ValueError, match="no Flask endpoint"):
        fast.add("nowhere", lambda request: None, access="anyone")


def test_a_fast_answer_is_counted_under_the_flask_rule_it_answers_for(base_config):
    app, fast = fast_app(base_config)
    client = app.test_client()
    client.post("/notes/n1/append", json={})
    assert 'route="/notes/<note_id>/append",service="demo",status="500"} 1.0' in client.get("/metrics").get_data(as_text=True)


def test_paths_and_methods_flask_does_not_route_are_left_to_flask(base_config):
    app, fast = fast_app(base_config)
    client = app.test_client()
    assert client.post("/notes/n1/append/more", json={}).status_code == 404
    assert client.get("/notes/n1/append").status_code == 405
    assert fast.answered == 0 and app.extensions["written"] == []


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


def test_a_rule_with_a_converter_is_matched_as_flask_matches_it(base_config):
    app = build(base_config)

    @app.get("/items/<int:number>")
    def item(number):
        return {"flask": True, "number": number}

    fast = fastpath.install(app)
    fast.add("item", lambda request: request.json_answer(200, {"flask": False, "path": request.path}))
    client = app.test_client()
    assert client.get("/items/7").json == {"flask": False, "path": "/items/7"}
    assert client.get("/items/seven").status_code == 404 and fast.answered == 1
