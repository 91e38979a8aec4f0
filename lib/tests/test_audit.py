"""polystatus.audit: one entry per successful write, in the write's own transaction when it
commits through redis_store.commit, never a secret."""
import json

import pytest
from apiflask import Schema
from apiflask.fields import Nested
from apiflask.validators import Length
from polystatus import audit, events
from polystatus.app_factory import create_service_app
from polystatus.auth import require_role
from polystatus.redis_store import commit, get_redis
from polystatus.text import Line, Secret


class Channel(Schema):
    label = Line(required=True, validate=Length(max=100))
    passphrase = Secret(validate=Length(max=100))


class WidgetIn(Schema):
    name = Line(required=True, validate=Length(max=100))
    pin = Secret(validate=Length(max=100))  # a secret whose name says nothing: only its type tells
    webhook_url = Line(validate=Length(max=500))
    channel = Nested(Channel)


def build(config):
    app = create_service_app(__name__, service="demo", title="Demo", description="audit test service",
                             settings={"TRUSTED_PROXIES": ["127.0.0.1"]}, config=config)

    @app.post("/widgets")
    @app.input(WidgetIn)
    @require_role("staff")
    def create_widget(json_data):
        r = get_redis()
        pipe = r.pipeline()
        pipe.set(f"widget:{json_data['name']}", "1")
        commit(pipe)
        return {"name": json_data["name"]}, 201

    @app.patch("/widgets/<name>")
    @app.input(WidgetIn(partial=True))
    @require_role("staff")
    def rename_widget(name, json_data):
        audit.describe(before={"name": name}, after={"name": json_data["name"]})
        for step in range(2):  # two commits in one request: still one entry
            pipe = get_redis().pipeline()
            pipe.set(f"widget:{json_data['name']}:{step}", "1")
            commit(pipe)
        return {"name": json_data["name"]}

    @app.delete("/widgets/<name>")
    @require_role("staff")
    def delete_widget(name):
        get_redis().delete(f"widget:{name}")  # no pipeline: recorded after the answer
        return "", 204

    @app.post("/widgets/<name>/fail")
    @require_role("staff")
    def failing_write(name):
        return {"error": "no"}, 409

    @app.post("/widgets/<name>/race")
    @require_role("staff")
    def raced_write(name):
        import redis as redis_lib

        r = get_redis()
        pipe = r.pipeline()
        pipe.watch(f"widget:{name}")
        r.set(f"widget:{name}", "changed meanwhile")  # someone else wins the race
        pipe.multi()
        pipe.set(f"widget:{name}", "mine")
        try:
            commit(pipe)
        except redis_lib.WatchError:
            return {"error": "conflict"}, 409
        return {"name": name}, 200

    @app.post("/sync")
    @require_role("service")
    def sync():
        return {"synced": True}

    @app.post("/evaluate")
    @audit.exempt("a read sent as a POST")
    def evaluate():
        return {"value": True}

    @app.get("/arrive/<ticket>")
    @audit.write_by_get("a sign-in that arrives as a browser redirect")
    def arrive(ticket):
        if ticket == "bad":
            return "", 302, {"Location": "/login?error=bad"}  # a refusal answered by a redirect
        audit.describe(object_type="auth", object_id="u-7", action="sso_login", after={"user_id": "u-7"})
        pipe = get_redis().pipeline()
        pipe.set("session:u-7", "1")
        commit(pipe)
        return "", 302, {"Location": "/login?done=1"}

    return app


@pytest.fixture()
def app(base_config):
    return build(base_config)


def entries(app) -> list[dict]:
    r = app.extensions["redis"]
    found = r.xrange(events.stream_key("demo"))
    return [{**json.loads(fields["data"]), "_type": fields["type"]} for _, fields in found]


def test_a_write_is_recorded_once_in_its_own_transaction_with_who_what_and_where(app, as_):
    client = app.test_client()
    answer = client.post("/widgets", json={"name": "w1"}, headers={**as_("bob"), "X-Forwarded-For": "203.0.113.9"})
    assert answer.status_code == 201
    [entry] = entries(app)
    assert entry["_type"] == "audit.recorded"
    assert entry["actor"] == {"kind": "user", "id": "bob", "email": "bob@example.com", "role": "staff"}
    assert (entry["method"], entry["route"], entry["action"]) == ("POST", "/widgets", "create")
    assert entry["object"] == {"type": "widgets", "id": None}
    assert entry["address"] == "203.0.113.9"
    assert entry["after"] == {"name": "w1"}


def test_an_edit_carries_before_and_after_and_two_commits_make_one_entry(app, as_):
    client = app.test_client()
    assert client.patch("/widgets/old", json={"name": "new"}, headers=as_("alice")).status_code == 200
    [entry] = entries(app)
    assert entry["action"] == "update"
    assert entry["object"] == {"type": "widgets", "id": "old"}
    assert (entry["before"], entry["after"]) == ({"name": "old"}, {"name": "new"})


def test_a_write_without_a_pipeline_is_recorded_after_its_answer(app, as_):
    client = app.test_client()
    assert client.delete("/widgets/w9", headers=as_("bob")).status_code == 204
    [entry] = entries(app)
    assert (entry["action"], entry["object"]["id"]) == ("delete", "w9")


def test_refused_writes_reads_and_exempt_routes_are_not_recorded(app, as_):
    client = app.test_client()
    assert client.post("/widgets", json={"name": "w1"}, headers=as_("carol")).status_code == 403
    assert client.post("/widgets/x/fail", headers=as_("bob")).status_code == 409
    assert client.post("/evaluate").status_code == 200
    assert entries(app) == []


def test_no_secret_reaches_an_entry_by_name_or_by_schema_type(app, as_):
    client = app.test_client()
    body = {"name": "w2", "pin": "4242-secret-pin", "webhook_url": "https://hooks.example/T0K3N",
            "channel": {"label": "ops", "passphrase": "hunter2-passphrase"}}
    assert client.post("/widgets", json=body, headers=as_("bob")).status_code == 201
    [entry] = entries(app)
    raw = json.dumps(entry)
    for secret in ("4242-secret-pin", "T0K3N", "hunter2-passphrase"):
        assert secret not in raw
    assert entry["after"]["pin"] == audit.REDACTED
    assert entry["after"]["channel"] == {"label": "ops", "passphrase": audit.REDACTED}


def test_redaction_keeps_what_is_not_secret_and_cuts_long_texts():
    value = {"title": "x" * 5000, "password_hash": "$argon2id$...", "items": [{"token": "t"}], "empty_token": ""}
    out = audit.redact(value)
    assert len(out["title"]) == audit.MAX_VALUE_CHARS + 1
    assert out["password_hash"] == audit.REDACTED
    assert out["items"] == [{"token": audit.REDACTED}]
    assert out["empty_token"] == ""


def test_a_service_caller_is_named_as_a_service(app, as_):
    client = app.test_client()
    assert client.post("/sync", headers=as_("svc")).status_code == 200
    [entry] = entries(app)
    assert entry["actor"]["kind"] == "service"


def test_a_write_whose_transaction_fails_leaves_no_entry_since_the_entry_is_in_that_transaction(app, as_):
    client = app.test_client()
    assert client.post("/widgets/w5/race", headers=as_("bob")).status_code == 409
    assert entries(app) == []


def test_a_bulk_write_is_summarised_by_its_size_not_copied_whole():
    big = {f"flag-{i}": "x" * 1000 for i in range(100)}
    assert audit._bounded(audit.redact(big)) == {"truncated": True, "bytes": len(json.dumps(big))}
    assert audit._bounded({"name": "small"}) == {"name": "small"}


def test_a_get_that_signs_in_is_recorded_when_it_says_what_it_did_and_its_refusals_are_not(app):
    client = app.test_client()
    assert client.get("/arrive/bad").status_code == 302
    assert entries(app) == []
    assert client.get("/arrive/good").status_code == 302
    [entry] = entries(app)
    assert (entry["method"], entry["action"], entry["object"]) == ("GET", "sso_login", {"type": "auth", "id": "u-7"})
    assert entry["after"] == {"user_id": "u-7"}
