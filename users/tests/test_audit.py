"""The audit trail kept by users: the consumer stores entries from every service's stream,
admins read them (filters, pages, JSON lines), retention drops the old ones."""
import json
from datetime import UTC, datetime, timedelta

import pytest
import redis
from polystatus import events
from polystatus.fuzzing import strict_json
from polystatus.redis_store import connect
from users.audit import flows, storage
from users.worker import make_loops


def consume(app, *, source=None, service="users", now=None):
    """Run the audit consumer once over one stream, as the worker does."""
    own = connect(app.config["REDIS_URL"])
    moment = now or datetime.now(UTC)
    consumer = events.Consumer(
        source=source or own, stream=events.stream_key(service), group="audit", own=own, block_ms=10,
        types={"audit.recorded"},
        handler=lambda event, pipe: flows.keep(event=event, pipe=pipe, now_ms=int(moment.timestamp() * 1000),
                                               retention_days=app.config["AUDIT_RETENTION_DAYS"]))
    consumer.run_once()


def publish_from(r, service, data, *, at):
    """An entry as another service's polystatus.audit writes it (its contract's fields), with ``data`` in it."""
    entry = {"actor": {"kind": "user", "id": "u-alice", "email": "alice@example.com", "role": "admin"},
             "method": "POST", "route": "/banners", "path": "/banners", "action": "create", "address": "198.51.100.9",
             "before": None, "after": None, **data}
    pipe = r.pipeline()
    events.publish(pipe, service, "audit.recorded", entry, now=at)
    pipe.execute()


def test_an_edit_on_users_is_kept_with_before_and_after_and_no_password(app, client, cast):
    answer = client.patch(f"/users/{cast.ids['carol']}", json={"display_name": "Caroline", "password": "another long passphrase",
                                                               "current_password": "a long enough passphrase"},
                          headers={**cast.headers("carol"), "X-Forwarded-For": "198.51.100.4"})
    assert answer.status_code == 200, answer.json
    consume(app)
    found = client.get("/audit", query_string={"actor": "carol@example.com"}, headers=cast.headers("alice")).json
    [entry] = [e for e in found["entries"] if e["method"] == "PATCH"]
    assert entry["actor"]["id"] == cast.ids["carol"]
    assert entry["object"] == {"type": "users", "id": cast.ids["carol"]}
    assert entry["before"]["display_name"] == "Carol" and entry["after"]["display_name"] == "Caroline"
    assert entry["after"]["password_hash"] == "[redacted]"
    assert entry["address"] == "198.51.100.4"
    assert "another long passphrase" not in json.dumps(found)
    assert "argon2" not in json.dumps(found)


def test_only_admins_read_the_trail(client, cast):
    assert client.get("/audit").status_code == 401
    assert client.get("/audit", headers=cast.headers("bob")).status_code == 403
    assert client.get("/audit/export", headers=cast.headers("carol")).status_code == 403


def test_filters_by_service_object_and_time_with_pages(app, client, cast, redis_server):
    other = redis.Redis(port=redis_server.port, db=9, decode_responses=True)
    other.flushdb()
    base = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for i in range(5):
        publish_from(other, "incidents", {"service": "incidents", "actor": {"kind": "user", "id": "u-bob"},
                                          "object": {"type": "incidents", "id": f"INC-{i}"}, "action": "create"},
                     at=base + timedelta(minutes=i))
    consume(app, source=other, service="incidents", now=base + timedelta(hours=1))
    headers = cast.headers("alice")
    page = client.get("/audit", query_string={"service": "incidents", "per_page": 2, "page": 2}, headers=headers).json
    assert page["total"] == 5
    assert [e["object"]["id"] for e in page["entries"]] == ["INC-2", "INC-1"]
    one = client.get("/audit", query_string={"object": "incidents/INC-3"}, headers=headers).json
    assert [e["object"]["id"] for e in one["entries"]] == ["INC-3"]
    window = client.get("/audit", query_string={"service": "incidents", "since": "2026-03-01T12:01:00Z",
                                                "until": "2026-03-01T12:02:00Z"}, headers=headers).json
    assert [e["object"]["id"] for e in window["entries"]] == ["INC-2", "INC-1"]
    assert client.get("/audit", query_string={"service": "nowhere"}, headers=headers).status_code == 422


def test_the_export_is_json_lines_of_the_same_entries(app, client, cast):
    consume(app)
    answer = client.get("/audit/export", query_string={"service": "users"}, headers=cast.headers("alice"))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in answer.get_data(as_text=True).splitlines()]
    assert lines and all(line["service"] == "users" for line in lines)
    # bob made staff by alice (Cast): an edit of bob's role, by alice
    role = next(line for line in lines if line["method"] == "PATCH")
    assert role["actor"]["email"] == "alice@example.com"
    assert (role["before"], role["after"]) == ({"role": "user"}, {"role": "staff"})


def test_an_entry_holding_text_stored_before_the_text_rules_is_exported_as_strict_json_lines(app, client, cast):
    """Issue 21: an entry's "before" is an object as it was stored, maybe before the rules (here
    written straight into the trail, as an old entry would be). Every line still parses strictly."""
    consume(app)
    r = connect(app.config["REDIS_URL"])
    old = {"name": "Old\ud800 title\x0c\x1b[31m", "tags": ["x\udfff", "\ufffe"], "note\x85": "line one\nline two"}
    entry = {"id": "1-0", "time": "2026-03-01T12:00:00Z", "service": "incidents", "method": "PATCH",
             "route": "/incidents/<incident_id>", "path": "/incidents/INC-1", "action": "update",
             "actor": {"kind": "user", "id": "u-bob", "email": "bob@example.com", "role": "staff"},
             "object": {"type": "incidents", "id": "INC-1"}, "address": "198.51.100.9",
             "before": old, "after": {"name": "New title"}}
    pipe = r.pipeline()
    storage.add(pipe, entry, score_ms=int(datetime.now(UTC).timestamp() * 1000), floor_ms=0)
    pipe.execute()
    headers = cast.headers("alice")
    answer = client.get("/audit/export", headers=headers)
    assert answer.status_code == 200
    lines = [strict_json(line) for line in answer.get_data().split(b"\n") if line]
    assert len(lines) >= 2 and {line["service"] for line in lines} == {"users", "incidents"}
    [kept] = [line for line in lines if line["service"] == "incidents"]
    assert kept["before"] == {"name": "Old\ufffd title[31m", "tags": ["x\ufffd", "\ufffd"], "note": "line one\nline two"}
    assert kept["after"] == {"name": "New title"}
    # the trail's JSON pages too (every service's JSON answers are written the same way)
    page = strict_json(client.get("/audit", query_string={"service": "incidents"}, headers=headers).data)
    assert page["entries"][0]["before"] == kept["before"]


def test_entries_past_retention_are_dropped_as_new_ones_come(app, client, cast, redis_server):
    other = redis.Redis(port=redis_server.port, db=9, decode_responses=True)
    other.flushdb()
    now = datetime(2026, 3, 1, tzinfo=UTC)
    days = app.config["AUDIT_RETENTION_DAYS"]
    publish_from(other, "comms", {"service": "comms", "object": {"type": "banners", "id": "old"}},
                 at=now - timedelta(days=days + 1))
    publish_from(other, "comms", {"service": "comms", "object": {"type": "banners", "id": "new"}}, at=now)
    consume(app, source=other, service="comms", now=now)
    found = client.get("/audit", query_string={"service": "comms"}, headers=cast.headers("alice")).json
    assert [e["object"]["id"] for e in found["entries"]] == ["new"]


def test_the_worker_reads_every_service_stream():
    loops = make_loops({"REDIS_URL": "redis://127.0.0.1:1/0", "AUDIT_RETENTION_DAYS": 30,
                        **{f"{n}_EVENTS_URL": "redis://127.0.0.1:1/0"
                           for n in ("INCIDENTS", "COMMS", "CSP_STATUS", "FEATURE_FLAGS")}})
    assert set(loops) == {"audit-incidents", "audit-users", "audit-comms", "audit-csp-status",
                          "audit-feature-flags"}


@pytest.mark.parametrize("route", ["/auth/refresh", "/auth/token"])
def test_token_renewals_are_not_audited(app, route):
    view = app.view_functions[app.url_map.bind("").match(route, method="POST")[0]]
    assert view._polystatus_audit_exempt
