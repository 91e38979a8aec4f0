"""redis checks against a throw-away redis-server: PING, read-only commands, conditions on the answer."""
import json
import secrets
import socket
import time

import pytest
import redis as redis_client
from csp_status import config_apply
from csp_status.checks import storage
from test_checks import make as make_check
from test_checks import run


@pytest.fixture()
def target(redis_server):
    """The session's throw-away redis-server, database 9, with a login that may only read app:*."""
    admin = redis_client.Redis(port=redis_server.port, db=9)
    user, password = f"monitor_{secrets.token_hex(3)}", "s3cret:" + secrets.token_hex(4)
    admin.execute_command("ACL", "SETUSER", user, "on", f">{password}", "~app:*", "+@read", "+ping", "+select")
    admin.set("app:status", json.dumps({"status": "ok", "queue": {"length": 3}, "workers": ["a", "b"]}))
    admin.set("app:degraded", json.dumps({"status": "degraded"}))
    admin.set("secret:other", "not for the monitor")
    yield {"port": redis_server.port, "user": user, "password": password}
    admin.execute_command("ACL", "DELUSER", user)
    admin.delete("app:status", "app:degraded", "secret:other")


def make(client, as_, target, **body):
    return make_check(client, as_, **{"name": "Cache", "kind": "redis", "dsn": f"redis://127.0.0.1:{target['port']}/9",
                                      "timeout": 3, "fail_threshold": 1, **body})


def test_a_ping_answered_pong_passes(client, as_, target):
    check = make(client, as_, target, conditions=["[RESULT] == PONG", "[CONNECTED] == true", "[RESPONSE_TIME] < 1s"])
    result = run(client, as_, check["id"])
    assert result["ok"] is True, result["reason"]
    plain = make(client, as_, target, name="Cache plain")
    assert run(client, as_, plain["id"])["reason"] == "PING answered PONG"


def test_a_json_value_is_walked_by_its_fields(client, as_, target):
    check = make(client, as_, target, command="GET app:status",
                 conditions=['[RESULT].status == "ok"', "[RESULT].queue.length < 10", "len([RESULT].workers) == 2"])
    assert run(client, as_, check["id"])["ok"] is True


def test_a_wrong_value_fails_and_shows_what_was_seen(client, as_, target):
    check = make(client, as_, target, command="GET app:degraded", conditions=["[RESULT].status == ok"])
    result = run(client, as_, check["id"])
    assert result["ok"] is False and result["reason"] == "[RESULT].status (degraded) == ok"


def test_a_missing_key_is_nil_and_fails_saying_null(client, as_, target):
    check = make(client, as_, target, command="GET app:nothing", conditions=["[RESULT] == ok"])
    result = run(client, as_, check["id"])
    assert result["ok"] is False and result["reason"] == "[RESULT] (NULL) == ok"


@pytest.mark.parametrize("command", ["SET app:status x", "FLUSHALL", "CONFIG GET *", "DEL app:status", "EVAL x 0",
                                     "GET"])
def test_only_read_only_commands_can_be_sent(client, as_, target, command):
    response = client.post("/checks", json={"name": "Cache", "kind": "redis", "command": command,
                                            "dsn": f"redis://127.0.0.1:{target['port']}/9"}, headers=as_("alice"))
    assert response.status_code == 422 and "command" in response.json["error"]["details"]


def test_a_password_is_sealed_masked_and_logs_in(client, as_, r, target):
    dsn = f"redis://{target['user']}:{target['password']}@127.0.0.1:{target['port']}/9"
    check = make(client, as_, target, dsn=dsn, command="GET app:status", conditions=["[RESULT].status == ok"])
    settings = client.get(f"/checks/{check['id']}/config", headers=as_("alice")).json
    assert settings["dsn"] == f"redis://{target['user']}:****@127.0.0.1:{target['port']}/9"
    assert target["password"] not in r.get(f"check:{check['id']}")
    assert run(client, as_, check["id"])["ok"] is True


def test_a_refused_login_and_a_refused_command_fail_and_say_so(client, as_, target):
    wrong = make(client, as_, target, dsn=f"redis://{target['user']}:nope@127.0.0.1:{target['port']}/9")
    result = run(client, as_, wrong["id"])
    assert result["ok"] is False and ("WRONGPASS" in result["reason"] or "invalid" in result["reason"].lower())
    dsn = f"redis://{target['user']}:{target['password']}@127.0.0.1:{target['port']}/9"
    other = make(client, as_, target, name="Cache other", dsn=dsn, command="GET secret:other")
    result = run(client, as_, other["id"])
    assert result["ok"] is False and result["reason"].startswith("GET refused: this user has no permissions")


def test_a_closed_port_and_a_silent_server_fail_within_the_timeout(client, as_, target):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    check = make(client, as_, target, dsn=f"redis://127.0.0.1:{closed}/0")
    assert run(client, as_, check["id"])["ok"] is False
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    try:
        silent = make(client, as_, target, name="Cache silent", dsn=f"redis://127.0.0.1:{listener.getsockname()[1]}/0",
                      timeout=1)
        started = time.monotonic()
        result = run(client, as_, silent["id"])
        assert time.monotonic() - started < 3.5  # the timeout, the grace second, some slack for a busy machine
        assert result["ok"] is False
    finally:
        listener.close()


def test_a_redis_check_to_a_private_address_is_refused_without_the_setting(app, client, as_, target):
    app.config["CSP_ALLOW_PRIVATE_TARGETS"] = False
    response = client.post("/checks", json={"name": "Cache", "kind": "redis",
                                            "dsn": f"redis://127.0.0.1:{target['port']}/9"}, headers=as_("alice"))
    assert response.status_code == 422 and response.json["error"]["code"] == "private_target"


def test_a_yaml_declared_redis_check_is_sealed_applied_once_and_runs(app, client, as_, r, clock, target):
    dsn = f"redis://{target['user']}:{target['password']}@127.0.0.1:{target['port']}/9"
    text = f"""
checks:
  - name: Cache from YAML
    kind: redis
    dsn: "{dsn}"
    command: GET app:status
    timeout: 3
    fail_threshold: 1
    conditions: ["[RESULT].status == ok", "[RESULT].queue.length < 10"]
"""
    first = config_apply.apply(r, text, clock.now(), app.config)
    assert first["created"] == 1
    assert config_apply.apply(r, text, clock.now(), app.config) == {**first, "created": 0, "updated": 0}
    stored = storage.by_name(r, "Cache from YAML")
    assert target["password"] not in r.get(f"check:{stored['id']}")
    result = run(client, as_, stored["id"])
    assert result["ok"] is True, result["reason"]
    # the declared conditions are the ones run: a value they refuse fails the same check
    config_apply.apply(r, text.replace("GET app:status", "GET app:degraded"), clock.now(), app.config)
    result = run(client, as_, stored["id"])
    assert result["ok"] is False and result["reason"] == "[RESULT].status (degraded) == ok"
