"""OFREP over HTTP: shapes, reasons, errors, ETag/304, API keys, rate limit."""
import pytest
from conftest import evaluate
from feature_flags.app import create_app
from polystatus.testing import through_both_transports


def test_a_success_always_carries_the_variant_and_typed_values(client, flag):
    flag(key="limit", type="integer", variants={"low": 10, "high": 100}, default_variant="low")
    flag(key="ratio", type="float", variants={"half": 0.5, "one": 1}, default_variant="one")
    limit = evaluate(client, "limit").json
    assert limit == {"key": "limit", "value": 10, "reason": "STATIC", "variant": "low", "metadata": {"version": 1}}
    ratio = client.post("/ofrep/v1/evaluate/flags/ratio", json={"context": {}}).get_data(as_text=True)
    assert '"value":1.0' in ratio.replace(" ", "")


def test_targeting_and_split_reasons(client, flag):
    flag(rules=[{"when": {"attribute": "plan", "op": "equals", "value": "pro"}, "variant": "on"},
                {"split": {"on": 50, "off": 50}}])
    assert evaluate(client, "new-ui", {"plan": "pro"}).json["reason"] == "TARGETING_MATCH"
    assert evaluate(client, "new-ui", {"targetingKey": "u1"}).json["reason"] == "SPLIT"


def test_error_codes(client, flag):
    flag(rules=[{"split": {"on": 50, "off": 50}}])
    missing = evaluate(client, "nope")
    assert missing.status_code == 404 and missing.json["errorCode"] == "FLAG_NOT_FOUND"
    no_key = evaluate(client, "new-ui")
    assert no_key.status_code == 400 and no_key.json["errorCode"] == "TARGETING_KEY_MISSING"
    parse = client.post("/ofrep/v1/evaluate/flags/new-ui", data="{nope", content_type="application/json")
    assert parse.status_code == 400 and parse.json["errorCode"] == "PARSE_ERROR"
    bad_context = client.post("/ofrep/v1/evaluate/flags/new-ui", json={"context": [1, 2]})
    assert bad_context.status_code == 400 and bad_context.json["errorCode"] == "INVALID_CONTEXT"


def test_bulk_has_an_etag_and_answers_304_when_nothing_changed(client, as_, flag):
    flag()
    first = client.post("/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "u1"}})
    etag = first.headers["ETag"]
    assert first.json["flags"][0]["key"] == "new-ui"
    again = client.post("/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "u1"}}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    other = client.post("/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "u2"}}, headers={"If-None-Match": etag})
    assert other.status_code == 200
    client.patch("/flags/new-ui", json={"enabled": False}, headers=as_("alice"))
    changed = client.post("/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "u1"}}, headers={"If-None-Match": etag})
    assert changed.status_code == 200


def test_api_keys_when_configured_and_client_keys_see_only_client_visible_flags(app, client, flag):
    flag(key="public-flag", client_visible=True)
    flag(key="server-flag")
    app.config["FLAGS_API_KEYS"] = {"server-key-0123456789": "server", "client-key-0123456789": "client"}
    assert evaluate(client, "public-flag").status_code == 401
    assert evaluate(client, "public-flag", headers={"X-API-Key": "wrong-key-0123456789"}).status_code == 403
    client_headers = {"Authorization": "Bearer client-key-0123456789"}
    assert evaluate(client, "public-flag", headers=client_headers).status_code == 200
    assert evaluate(client, "server-flag", headers=client_headers).status_code == 404
    assert evaluate(client, "server-flag", headers={"X-API-Key": "server-key-0123456789"}).status_code == 200
    bulk = client.post("/ofrep/v1/evaluate/flags", json={}, headers=client_headers).json
    assert [f["key"] for f in bulk["flags"]] == ["public-flag"]


def test_rate_limited_evaluations_say_when_to_retry(app, client, flag):
    flag()
    app.config["OFREP_RATE_LIMIT"] = 3
    answers = [evaluate(client, "new-ui") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1


@pytest.mark.parametrize("body", ["", "{}"])
def test_a_request_without_context_is_fine(client, flag, body):
    flag()
    response = client.post("/ofrep/v1/evaluate/flags/new-ui", data=body, content_type="application/json")
    assert response.status_code == 200


def test_single_evaluations_get_the_same_answers_on_the_fast_transport_as_through_flask(base_config, as_, redis_url):
    from datetime import UTC, datetime

    from polystatus.clock import FrozenClock

    clock = FrozenClock(datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC))  # rate-limit windows follow the app's clock
    def make_app(extra):
        return create_app({**base_config, "FLAG_CACHE_S": 0, "OFREP_RATE_LIMIT": 12, "CLOCK": clock,
                           "FLAGS_API_KEYS": {"server-key": "server", "browser-key": "client"}, **extra})

    def scenario(client):
        body = {"key": "new-ui", "type": "boolean", "variants": {"on": True, "off": False}, "default_variant": "off",
                "rules": [{"when": {"attribute": "plan", "op": "equals", "value": "pro"}, "variant": "on"},
                          {"split": {"on": 50, "off": 50}}]}
        client.post("/flags", json=body, headers=as_("alice"))
        server, browser = {"X-API-Key": "server-key"}, {"Authorization": "Bearer browser-key"}
        answers = [evaluate(client, "new-ui", {"plan": "pro"}, server), evaluate(client, "new-ui", {"targetingKey": "u1"}, server),
                   evaluate(client, "new-ui", {}, server), evaluate(client, "nope", {}, server),
                   evaluate(client, "new-ui", {"plan": "pro"}, browser),  # not client-visible
                   evaluate(client, "new-ui", {"plan": "pro"}), evaluate(client, "new-ui", {}, {"X-API-Key": "wrong"}),
                   client.post("/ofrep/v1/evaluate/flags/new-ui", data="{nope", content_type="application/json", headers=server),
                   client.post("/ofrep/v1/evaluate/flags/new-ui", json={"context": [1]}, headers=server)]
        answers += [evaluate(client, "new-ui", {"targetingKey": f"u{i}"}, server) for i in range(6)]  # over the limit
        return answers

    fast, flask, fast_answers = through_both_transports(make_app, scenario, redis_url)
    assert fast == flask
    assert [a[0] for a in fast][:9] == [200, 200, 400, 404, 404, 401, 403, 400, 400] and fast[-1][0] == 429
    assert fast[-1][2]["Retry-After"] and fast_answers == 15


def test_ofrep_configuration_gives_the_polling_interval_and_types_with_an_etag(app, client, flag):
    app.config["FLAG_CACHE_S"] = 2.5
    first = client.get("/ofrep/v1/configuration")
    assert first.status_code == 200
    capabilities = first.json["capabilities"]
    assert capabilities["cacheInvalidation"]["polling"] == {"enabled": True, "minPollingIntervalMs": 2500}
    assert set(capabilities["flagEvaluation"]["supportedTypes"]) == {"boolean", "string", "int", "float", "object"}
    again = client.get("/ofrep/v1/configuration", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    app.config["FLAGS_API_KEYS"] = {"server-key-0123456789": "server"}
    assert client.get("/ofrep/v1/configuration").status_code == 401
    assert client.get("/ofrep/v1/configuration", headers={"X-API-Key": "server-key-0123456789"}).status_code == 200


def test_ofrep_answers_carry_the_flags_metadata_and_the_bulk_its_flag_set_version(client, as_, flag):
    flag(metadata={"team": "web", "experiment": True, "weight": 3})
    single = evaluate(client, "new-ui").json
    assert single["metadata"] == {"team": "web", "experiment": True, "weight": 3, "version": 1}
    bulk = client.post("/ofrep/v1/evaluate/flags", json={"context": {}}).json
    assert bulk["flags"][0]["metadata"]["team"] == "web" and isinstance(bulk["metadata"]["version"], int)
    refused = client.post("/flags", json={"key": "bad", "type": "boolean", "variants": {"on": True}, "default_variant": "on",
                                          "metadata": {"nested": {"no": 1}}}, headers=as_("alice"))
    assert refused.status_code == 422


def test_a_disabled_flag_in_the_bulk_answer_has_no_value_so_clients_use_their_code_default(client, as_, flag):
    flag()
    client.patch("/flags/new-ui", json={"enabled": False}, headers=as_("alice"))
    bulk = client.post("/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "u1"}}).json["flags"]
    assert bulk == [{"key": "new-ui", "variant": "off", "reason": "DISABLED", "metadata": {"version": 2}}]
