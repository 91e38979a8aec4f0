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
    events = [f["type"] for _, f in app.extensions["redis"].xrange("events:feature-flags")]
    assert events == ["flag.changed", "flag.changed"]


def test_the_kill_switch_takes_effect_at_once(client, as_, flag):
    flag(default_variant="on")
    assert evaluate(client, "new-ui").json["value"] is True
    client.patch("/flags/new-ui", json={"enabled": False, "default_variant": "off"}, headers=as_("alice"))
    result = evaluate(client, "new-ui").json
    assert result["reason"] == "DISABLED" and result["value"] is False


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
