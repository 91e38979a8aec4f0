"""Arbitrary text at every text field of feature-flags, and every format that shows it: the flag
API, the export document, the audit log, OFREP answers, metrics and logs (issue 21)."""
from polystatus.fuzzing import (
    LogCapture,
    Route,
    Snapshot,
    fuzz_text,
    strict_json,
    text_coverage,
)

RULE = {"name": "pro users", "when": {"attribute": "plan", "op": "equals", "value": "pro"}, "variant": "on",
        "split": {"on": 50, "off": 50}, "bucket_by": "targetingKey"}
FLAG = {"key": "new-ui", "description": "The new page", "type": "string", "variants": {"on": "new", "off": "old"},
        "default_variant": "off", "rules": [RULE], "owner": "Web team", "tags": ["ui"]}


def routes() -> dict:
    """A valid request for every write route of feature-flags (checked complete below)."""
    patch = {k: v for k, v in FLAG.items() if k not in ("key", "type")}
    return {
        ("POST", "/flags"): Route(body={**FLAG, "key": "checkout-v2"}),
        ("PATCH", "/flags/{key}"): Route(body=patch, prepare=lambda client: {"key": "new-ui"}),
        ("POST", "/segments"): Route(body={"key": "beta", "description": "Beta testers",
                                           "when": {"attribute": "beta", "op": "equals", "value": True}}),
        ("PUT", "/flags/import"): Route(body={"flags": [{**FLAG, "key": "imported"}],
                                              "segments": [{"key": "staff", "when": {"attribute": "staff", "op": "equals",
                                                                                     "value": True}}]}),
    }


def every_output_parses(client, headers) -> None:
    flags = strict_json(client.get("/flags", headers=headers).data)["flags"]
    strict_json(client.get("/flags/export", headers=headers).data)
    strict_json(client.get("/segments", headers=headers).data)
    for flag in flags:
        strict_json(client.get(f"/flags/{flag['key']}/audit", headers=headers).data)
        strict_json(client.post(f"/ofrep/v1/evaluate/flags/{flag['key']}",
                                json={"context": {"targetingKey": "u1", "plan": "pro"}}).data)
    strict_json(client.post("/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "u1"}}).data)


def test_every_write_route_has_a_line_in_the_table_and_every_text_field_a_text_type(client):
    assert text_coverage(client.get("/openapi.json").json, routes()) == []


def test_every_text_field_takes_any_text_or_names_it_and_every_output_still_parses(client, as_, redis_url):
    headers = as_("alice")
    assert client.post("/flags", headers=headers, json=FLAG).status_code == 201
    snapshot = Snapshot(redis_url)
    with LogCapture() as logs:
        assert fuzz_text(client, routes(), headers=headers, reset=snapshot.restore,
                         outputs=lambda: every_output_parses(client, headers), examples=2) >= 20
        logs.check()


def test_a_tag_is_a_name_in_nfc_and_an_owner_may_not_hold_a_bidi_override(client, as_):
    response = client.post("/flags", headers=as_("alice"), json={**FLAG, "tags": ["cafe\u0301"]})
    assert response.status_code == 201 and response.json["tags"] == ["caf\u00e9"]
    response = client.post("/flags", headers=as_("alice"), json={**FLAG, "key": "other", "owner": "\u202eevil"})
    assert response.status_code == 422 and "owner" in response.json["error"]["details"]["json"]
