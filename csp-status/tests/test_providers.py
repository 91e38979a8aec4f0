"""Providers through the real HTTP path: conditional requests, redirects, failures, history, events."""
import json
import time

import pytest
from conftest import fixture_bytes
from csp_status.providers import flows, storage

OK = fixture_bytes("statuspage/rapid7_githubstatus_summary_ok_2019-12-30.json")
OUTAGE = fixture_bytes("statuspage/rapid7_githubstatus_summary_outage_2020-04-02.json")


def add(client, as_, url, fmt="statuspage", name="GitHub"):
    response = client.post("/providers", json={"name": name, "url": url, "format": fmt}, headers=as_("alice"))
    assert response.status_code == 201, response.json
    return response.json


def poll(client, as_, provider_id):
    response = client.post(f"/providers/{provider_id}/poll", headers=as_("alice"))
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.parametrize("path,fmt,state", [
    ("statuspage/rapid7_githubstatus_summary_outage_2020-04-02.json", "statuspage", "partial_outage"),
    ("gcp/igarridot_low_severity_incident_2022.json", "gcp", "partial_outage"),
    ("aws/ayoahha_aws-currentevents.json", "aws-currentevents", "major_outage"),
    ("azure/checkmk_azure_status_rss_2022-11_EDITED.xml", "azure-rss", "partial_outage"),
    ("slack/amureki_slack_current_v2_incident_2020-07.json", "slack", "partial_outage"),
    ("statusio/amureki_docker_statusio_partial_2020-07.json", "statusio", "partial_outage"),
])
def test_each_fixture_polled_over_http_gives_its_state(client, as_, simulator, path, fmt, state):
    provider = add(client, as_, f"{simulator}/fixtures/{path}", fmt)
    assert poll(client, as_, provider["id"])["state"] == state


def test_the_aws_feed_in_utf16_over_http(client, as_, served):
    served.routes["/currentevents"] = (200, {"Content-Type": "application/json"},
                                       fixture_bytes("aws/ayoahha_aws-currentevents.json").decode().encode("utf-16"))
    provider = add(client, as_, served.url("/currentevents"), "aws-currentevents", "AWS")
    assert poll(client, as_, provider["id"])["state"] == "major_outage"


def test_an_etag_makes_the_next_poll_conditional_and_a_304_keeps_the_result(client, as_, served):
    def route(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"ETag": '"v1"', "Content-Type": "application/json"}, OUTAGE

    served.routes["/summary.json"] = route
    provider = add(client, as_, served.url("/summary.json"))
    assert poll(client, as_, provider["id"])["state"] == "partial_outage"
    second = poll(client, as_, provider["id"])
    assert second["state"] == "partial_outage" and second["incidents"]
    assert served.hits[-1][1].get("If-None-Match") == '"v1"'


def test_redirects_are_followed(client, as_, served):
    served.routes["/old"] = (301, {"Location": "/new"}, b"")
    served.routes["/new"] = (200, {"Content-Type": "application/json"}, OK)
    provider = add(client, as_, served.url("/old"))
    assert poll(client, as_, provider["id"])["state"] == "operational"


def test_a_redirect_to_a_private_address_is_refused_when_private_targets_are_not_allowed(app, client, as_, served, r, clock):
    served.routes["/sneaky"] = (302, {"Location": "http://169.254.169.254/latest/meta-data"}, b"")
    provider = add(client, as_, served.url("/sneaky"))
    # loopback (our test server) is allowed; the cloud metadata range is not
    result = flows.poll(r, storage.get(r, provider["id"]), clock.now(), allow_private=["127.0.0.0/8"], grace_s=900)
    assert "private" in (result["error"] or "") or "loopback" in (result["error"] or "")
    assert not any(path.startswith("/latest") for path, _ in served.hits)


def test_private_targets_are_refused_at_creation_unless_allowed(app, client, as_):
    app.config["CSP_ALLOW_PRIVATE_TARGETS"] = False
    response = client.post("/providers", json={"name": "x", "url": "http://127.0.0.1:9/x", "format": "rss"},
                           headers=as_("alice"))
    assert response.status_code == 422 and response.json["error"]["code"] == "private_target"


@pytest.mark.parametrize("route", [
    (500, {}, b"oops"),
    (200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html>maintenance page</html>"),
    (200, {"Content-Type": "application/json", "Content-Length": str(len(OK))}, OK[:200]),
])
def test_a_failing_provider_keeps_its_state_during_grace_then_becomes_unknown(app, client, as_, served, r, clock, route):
    app.config["PROVIDER_TIMEOUT"] = 1  # the truncated body makes the client wait for bytes that never come
    served.routes["/s"] = (200, {"Content-Type": "application/json"}, OK)
    provider = add(client, as_, served.url("/s"))
    assert poll(client, as_, provider["id"])["state"] == "operational"
    served.routes["/s"] = route
    clock.advance(minutes=5)
    during = poll(client, as_, provider["id"])
    assert during["state"] == "operational" and during["error"]
    clock.advance(minutes=15)
    assert poll(client, as_, provider["id"])["state"] == "unknown"


def test_a_provider_never_reached_is_unknown_never_operational(app, client, as_, clock):
    from polystatus.testing import free_port

    provider = add(client, as_, f"http://127.0.0.1:{free_port()}/summary.json")
    assert poll(client, as_, provider["id"])["state"] == "unknown"


def test_a_slow_provider_times_out(app, client, as_, served, r, clock):
    def slow(handler):
        time.sleep(1.5)
        return 200, {"Content-Type": "application/json"}, OK

    served.routes["/slow"] = slow
    provider = add(client, as_, served.url("/slow"))
    result = flows.poll(r, storage.get(r, provider["id"]), clock.now(), allow_private=True, grace_s=900, timeout=0.5)
    assert "timed out" in result["error"]


def test_a_change_over_time_reaches_history_and_the_event_stream(client, as_, served, r, clock):
    served.routes["/s"] = (200, {"Content-Type": "application/json"}, OK)
    provider = add(client, as_, served.url("/s"))
    client.put(f"/providers/{provider['id']}/mappings", json={"provider": ["web"], "components": {"API Requests": ["api"]}},
               headers=as_("alice"))
    poll(client, as_, provider["id"])
    served.routes["/s"] = (200, {"Content-Type": "application/json"}, OUTAGE)
    clock.advance(minutes=5)
    poll(client, as_, provider["id"])
    history = client.get(f"/providers/{provider['id']}/history").json["history"]
    assert history[0]["component"] is None or any(h["component"] is None and h["state"] == "partial_outage" for h in history)
    stream = [json.loads(fields["data"]) | {"type": fields["type"]} for _, fields in r.xrange("events:csp-status")]
    provider_events = [e for e in stream if e["type"] == "provider.status_changed" and e["component"] is None]
    assert [e["state"] for e in provider_events] == ["operational", "partial_outage"]
    mapped = [e for e in stream if e["type"] == "check.status_changed" and e["component_ids"] == ["web"]]
    assert mapped[-1]["state"] == "degraded" and mapped[-1]["source"] == "provider"


def test_the_catalog_lists_real_public_endpoints_and_can_be_enabled(client, as_):
    catalog = client.get("/providers/catalog").json
    ids = {entry["id"] for entry in catalog}
    assert {"github", "gcp", "aws", "azure", "slack"} <= ids
    assert all(entry["url"].startswith("https://") for entry in catalog)
    created = client.post("/providers", json={"catalog_id": "github"}, headers=as_("alice"))
    assert created.status_code == 201 and created.json["format"] == "statuspage"


def test_with_no_network_an_enabled_catalog_provider_is_unknown_not_a_crash(client, as_, app, r, clock):
    created = client.post("/providers", json={"catalog_id": "github"}, headers=as_("alice")).json
    provider = storage.get(r, created["id"])
    provider["url"] = "https://status.invalid/api/v2/summary.json"  # .invalid never resolves
    result = flows.poll(r, provider, clock.now(), allow_private=True, grace_s=0, timeout=2)
    assert result["state"] == "unknown" and result["error"]


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 403), ("alice", 201)])
def test_only_admins_add_providers(client, as_, simulator, who, expected):
    response = client.post("/providers", json={"name": "x", "url": f"{simulator}/fixtures/x", "format": "rss"},
                           headers=as_(who))
    assert response.status_code == expected


def test_two_worker_replicas_poll_a_provider_once_per_interval(app, client, as_, served, r, clock):
    from concurrent.futures import ThreadPoolExecutor

    from csp_status.worker_providers import poll_due

    served.routes["/s"] = (200, {"Content-Type": "application/json"}, OK)
    add(client, as_, served.url("/s"))
    with ThreadPoolExecutor(4) as pool:
        counts = [poll_due(r, app.config, clock, f"replica-{i}", pool) for i in range(2)]
        clock.advance(seconds=30)
        counts.append(poll_due(r, app.config, clock, "replica-0", pool))
    assert counts == [1, 0, 0]
    assert len(served.hits) == 1
