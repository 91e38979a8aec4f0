import pytest
from conftest import evaluate


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 403), ("alice", 201)])
def test_only_admins_create_flags(client, as_, who, expected):
    body = {"key": "x", "type": "boolean", "variants": {"on": True}, "default_variant": "on"}
    assert client.post("/flags", json=body, headers=as_(who)).status_code == expected


def test_staff_read_flags_but_not_the_public(client, as_, flag):
    flag()
    assert client.get("/flags", headers=as_("bob")).status_code == 200
    assert client.get("/flags").status_code == 401
    assert client.get("/flags", headers=as_("carol")).status_code == 403


def test_every_change_is_audited_with_before_and_after_and_published(app, client, as_, flag):
    flag()
    client.patch("/flags/new-ui", json={"enabled": False}, headers=as_("alice"))
    entries = client.get("/flags/new-ui/audit", headers=as_("bob")).json["entries"]
    assert [e["action"] for e in entries] == ["updated", "created"]
    assert entries[0]["before"]["enabled"] is True and entries[0]["after"]["enabled"] is False
    assert entries[0]["actor"] == "alice@example.com"
    events = [f["type"] for _, f in app.extensions["redis"].xrange("events:feature-flags")
              if f["type"] != "audit.recorded"]
    assert events == ["flag.changed", "flag.changed"]


def test_the_kill_switch_takes_effect_at_once(client, as_, flag):
    flag(default_variant="on")
    assert evaluate(client, "new-ui").json["value"] is True
    client.patch("/flags/new-ui", json={"enabled": False, "default_variant": "off"}, headers=as_("alice"))
    result = evaluate(client, "new-ui").json
    assert result["reason"] == "DISABLED" and "value" not in result  # the SDK serves the code default


def test_export_and_import_round_trip(client, as_, flag):
    flag()
    client.post("/segments", json={"key": "beta", "when": {"attribute": "beta", "op": "equals", "value": True}},
                headers=as_("alice"))
    flag(key="rollout", rules=[{"when": {"segment": "beta"}, "variant": "on"}])
    document = client.get("/flags/export", headers=as_("bob")).json
    assert {f["key"] for f in document["flags"]} == {"new-ui", "rollout"}
    assert client.put("/flags/import", json=document, headers=as_("alice")).json == {"created": 0, "updated": 0, "unchanged": 2}
    document["flags"][0]["enabled"] = False
    document["flags"].append({"key": "fresh", "type": "string", "variants": {"x": "X"}, "default_variant": "x"})
    assert client.put("/flags/import", json=document, headers=as_("alice")).json == {"created": 1, "updated": 1, "unchanged": 1}


def test_an_import_with_one_bad_flag_applies_nothing(client, as_):
    document = {"flags": [{"key": "good", "type": "boolean", "variants": {"on": True}, "default_variant": "on"},
                          {"key": "bad", "type": "integer", "variants": {"one": "1"}, "default_variant": "one"}]}
    response = client.put("/flags/import", json=document, headers=as_("alice"))
    assert response.status_code == 422 and "flags[1]" in response.json["error"]["details"]
    assert client.get("/flags", headers=as_("bob")).json["flags"] == []


def test_a_flag_change_puts_what_it_changed_before_and_after_in_the_audit_trail(app, client, as_, flag):
    import json

    flag()
    client.patch("/flags/new-ui", json={"enabled": False}, headers=as_("alice"))
    entries = [json.loads(f["data"]) for _, f in app.extensions["redis"].xrange("events:feature-flags")
               if f["type"] == "audit.recorded"]
    edit = next(e for e in entries if e["method"] == "PATCH")
    assert (edit["object"], edit["before"], edit["after"]) == (
        {"type": "flags", "id": "new-ui"}, {"enabled": True}, {"enabled": False})
    assert edit["actor"]["email"] == "alice@example.com"


def segment(client, as_, key: str, when: dict) -> None:
    assert client.post("/segments", json={"key": key, "when": when}, headers=as_("alice")).status_code == 201


def test_a_segment_no_rule_uses_is_deleted_audited_and_published(app, client, as_):
    segment(client, as_, "beta", {"attribute": "beta", "op": "equals", "value": True})
    assert client.delete("/segments/beta", headers=as_("bob")).status_code == 403
    assert client.delete("/segments/beta", headers=as_("alice")).status_code == 204
    assert client.get("/segments", headers=as_("bob")).json == []
    assert client.delete("/segments/beta", headers=as_("alice")).status_code == 404
    events = [(f["type"], f["data"]) for _, f in app.extensions["redis"].xrange("events:feature-flags")
              if f["type"] != "audit.recorded"]
    assert [t for t, _ in events] == ["segment.changed", "segment.changed"] and '"deleted"' in events[1][1]
    audited = [f["data"] for _, f in app.extensions["redis"].xrange("events:feature-flags") if f["type"] == "audit.recorded"]
    assert any('"delete"' in data and '"beta"' in data for data in audited)


def test_a_segment_still_used_by_a_rule_is_refused_with_a_409_naming_the_flags_and_segments(client, as_, flag):
    segment(client, as_, "beta", {"attribute": "beta", "op": "equals", "value": True})
    segment(client, as_, "beta-pros", {"all": [{"segment": "beta"}, {"attribute": "plan", "op": "equals", "value": "pro"}]})
    flag(key="rollout", rules=[{"when": {"any": [{"segment": "beta"}, {"attribute": "x", "op": "equals", "value": 1}]},
                                "variant": "on"}])
    flag(key="other", rules=[{"when": {"attribute": "x", "op": "equals", "value": 1}, "variant": "on"}])
    refused = client.delete("/segments/beta", headers=as_("alice"))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "segment_in_use"
    assert refused.json["error"]["details"] == {"flags": ["rollout"], "segments": ["beta-pros"]}
    assert "flag rollout" in refused.json["error"]["message"] and "segment beta-pros" in refused.json["error"]["message"]
    assert {s["key"] for s in client.get("/segments", headers=as_("bob")).json} == {"beta", "beta-pros"}
    # once the rules no longer name it, it goes
    client.patch("/flags/rollout", json={"rules": []}, headers=as_("alice"))
    assert client.delete("/segments/beta-pros", headers=as_("alice")).status_code == 204
    assert client.delete("/segments/beta", headers=as_("alice")).status_code == 204
