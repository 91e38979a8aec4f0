import json
import threading

import pytest
from incidents.app import create_app
from incidents.components import flows as components_flows
from incidents.components import storage as components_storage
from incidents.demo import main as load_demo
from incidents.reports import flows, service, storage
from polystatus.testing import through_both_transports


def report(client, component="web", kind="website", address="203.0.113.1"):
    return client.post("/reports", json={"component_id": component, "problem_type": kind},
                       environ_base={"REMOTE_ADDR": address})


def test_anyone_reports_a_problem_and_gets_202(client, components):
    response = report(client)
    assert response.status_code == 202 and response.json == {"accepted": True, "counted": True}
    assert client.get("/components/web/reports").json["last_15_min"] == 1


def test_one_client_counts_once_per_component_per_15_minutes(client, components, clock):
    assert report(client).json["counted"] is True
    assert report(client).json["counted"] is False
    assert report(client, component="api", kind="website").json["counted"] is True
    clock.advance(minutes=16)
    # the dedup marker is a Redis TTL: jump it rather than sleep
    client.application.extensions["redis"].delete("report-seen:web:203.0.113.1")
    assert report(client).json["counted"] is True


def test_a_forged_forwarded_for_header_does_not_multiply_reports(client, components):
    for i in range(5):
        client.post("/reports", json={"component_id": "web", "problem_type": "website"},
                    headers={"X-Forwarded-For": f"198.51.100.{i}"}, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert client.get("/components/web/reports").json["last_15_min"] == 1


def test_the_trusted_proxy_passes_the_real_client_address(client, components):
    for i in range(5):
        client.post("/reports", json={"component_id": "web", "problem_type": "website"},
                    headers={"X-Forwarded-For": f"198.51.100.{i}"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert client.get("/components/web/reports").json["last_15_min"] == 5


def test_a_crowd_reporting_at_once_is_counted_once_per_client(app, components, clock, r):
    # 12 threads share the worker's report queue (one Redis round trip for several reports):
    # each of the 60 clients reports twice; every answer must be its own.
    answers, lock = [], threading.Lock()

    def crowd(thread):
        client = app.test_client()
        for n in range(10):
            address = f"203.0.113.{thread * 10 + n % 5}"
            response = report(client, kind="website" if n % 2 else "login", address=address)
            with lock:
                answers.append((address, response.status_code, response.json["counted"]))

    threads = [threading.Thread(target=crowd, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 120 and {status for _, status, _ in answers} == {202}
    counted = [address for address, _, was_counted in answers if was_counted]
    assert sorted(counted) == sorted(set(counted)) and len(counted) == 60
    bucket = service.bucket_of(clock.now().timestamp())
    assert int(r.get(f"reports:web:{bucket}")) == 60
    # a client's first report counts: addresses .x0, .x2, .x4 said login, .x1 and .x3 website
    assert r.hgetall(f"report-types:web:{bucket}") == {"login": "36", "website": "24"}
    # the bucket's keys are kept for the baseline's weeks, the dedup markers 15 minutes
    assert storage.RETENTION_S - 5 < r.ttl(f"reports:web:{bucket}") <= storage.RETENTION_S
    assert storage.RETENTION_S - 5 < r.ttl(f"report-types:web:{bucket}") <= storage.RETENTION_S
    assert storage.DEDUP_S - 5 < r.ttl("report-seen:web:203.0.113.0") <= storage.DEDUP_S
    assert int(r.get("reports-since:web")) == bucket


def test_reports_are_rate_limited_per_address(app, client, components):
    app.config["REPORTS_PER_ADDRESS_PER_MINUTE"] = 3
    answers = [report(client, kind=kind).status_code for kind in ["website"] * 4]
    assert answers == [202, 202, 202, 429]


def test_a_problem_type_must_be_one_the_component_offers(client, components):
    assert report(client, kind="teleportation").status_code == 422
    assert report(client, component="nope").status_code == 404


def test_the_state_rises_with_volume_above_baseline_and_duration():
    assert service.decide([1, 1, 0], [1, 1, 1], [0, 1, 0], [1, 1, 1]) == "no_problems"
    assert service.decide([2, 2, 3], [1, 1, 1], [0, 1, 0], [1, 1, 1]) == "possible_problems"
    # a lot now, but not sustained: possible only
    assert service.decide([4, 4, 4], [1, 1, 1], [0, 1, 0], [1, 1, 1]) == "possible_problems"
    # a lot now and already above before: detected
    assert service.decide([4, 4, 4], [1, 1, 1], [2, 2, 2], [1, 1, 1]) == "problems_detected"
    # a huge jump at once
    assert service.decide([20, 20, 20], [1, 1, 1], [0, 0, 0], [1, 1, 1]) == "problems_detected"
    # the same counts on a busy component with a high baseline are normal
    assert service.decide([4, 4, 4], [5, 5, 5], [4, 4, 4], [5, 5, 5]) == "no_problems"


def test_the_baseline_falls_back_while_history_is_short():
    assert service.baseline([9, 9, 9], history_days=3) == service.FALLBACK_BASELINE
    assert service.baseline([2, 4, 0, 2], history_days=10) == 2.0


def test_a_spike_is_published_once_when_a_component_enters_a_problem_state(app, client, components, clock, r):
    for i in range(40):
        report(client, address=f"203.0.113.{i}")
    spikes = flows.evaluate(r, clock.now())
    assert [s["component_id"] for s in spikes] == ["web"] and spikes[0]["state"] == "problems_detected"
    assert spikes[0]["top_problems"][0]["type"] == "website"
    assert flows.evaluate(r, clock.now()) == []  # no new event while the state holds
    types = [fields["type"] for _, fields in r.xrange("events:incidents")]
    assert types.count("reports.spike") == 1


def test_the_summary_has_a_day_of_buckets_with_their_baseline_and_top_problems(client, components):
    for i, kind in enumerate(["website", "website", "login"]):
        client.post("/components", json={"id": "x", "name": "x"})
        report(client, kind=kind, address=f"203.0.113.{i}")
    summary = client.get("/components/web/reports").json
    assert len(summary["buckets"]) == 288 and len(summary["baseline"]) == 288
    assert summary["top_problems"][0] == {"type": "website", "count": 2, "share": pytest.approx(0.6667, abs=1e-3)}


def test_reports_get_the_same_answers_on_the_fast_transport_as_through_flask(base_config, clock, as_, redis_url):
    def make_app(extra):
        return create_app({**base_config, "CLOCK": clock, "REPORTS_PER_ADDRESS_PER_MINUTE": 4, **extra})

    def scenario(client):
        client.post("/components", json={"id": "web", "name": "Website"}, headers=as_("bob"))
        answers = [report(client), report(client), report(client, kind="teleportation"),
                   report(client, component="nope"), report(client, address="203.0.113.2"),
                   client.post("/reports", data="{not json", content_type="application/json"),
                   client.post("/reports", json={"component_id": "web"}),
                   client.post("/reports", json={"component_id": "web", "problem_type": "website", "extra": 1}),
                   client.post("/reports", data="component_id=web", content_type="application/x-www-form-urlencoded")]
        answers += [report(client) for _ in range(3)]  # the fifth from one address is refused
        return answers

    fast, flask, fast_answers = through_both_transports(make_app, scenario, redis_url)
    assert fast == flask
    assert [answer[0] for answer in fast] == [202, 202, 422, 404, 202, 400, 422, 422, 415, 202, 202, 429]
    assert fast_answers == 8  # the well-formed ones; the three malformed went to Flask


def test_a_fast_answer_is_logged_measured_and_carries_its_request_id(client, components):
    response = client.post("/reports", json={"component_id": "web", "problem_type": "website"},
                           headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 202 and response.headers["X-Request-ID"] == "trace-42"
    assert client.application.wsgi_app.answered == 1
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{method="POST",route="/reports",service="incidents",status="202"} 1.0' in metrics


def test_a_report_is_checked_against_the_problem_types_staff_set_right_before(client, as_, components):
    assert report(client, kind="website").status_code == 202
    changed = client.patch("/components/web", json={"problem_types": ["checkout", "slow"]}, headers=as_("bob"))
    assert changed.status_code == 200
    refused = report(client, kind="website", address="203.0.113.2")
    assert refused.status_code == 422
    assert refused.json["error"]["details"]["problem_type"] == ["One of checkout, slow."]
    assert report(client, kind="checkout", address="203.0.113.3").status_code == 202
    client.patch("/components/web", json={"problem_types": ["website"]}, headers=as_("bob"))
    assert report(client, kind="checkout", address="203.0.113.4").status_code == 422
    assert report(client, kind="website", address="203.0.113.4").status_code == 202


def test_a_refused_report_does_not_use_up_the_address_rate_limit(app, client, components):
    app.config["REPORTS_PER_ADDRESS_PER_MINUTE"] = 2
    answers = [report(client, kind="teleportation").status_code, report(client, component="nope").status_code,
               report(client).status_code, report(client, component="api").status_code, report(client).status_code]
    assert answers == [422, 404, 202, 202, 429]


def test_a_component_stored_without_the_reports_copy_of_its_problem_types_gets_one_at_its_first_report(
        client, components, r):
    # Data from before the copies: the component is there, its copy is not.
    r.delete("report-offer:web", "report-offer:api")
    assert report(client, kind="teleportation").status_code == 422
    assert json.loads(r.get("report-offer:web")) == ["website", "login", "app", "payments", "other"]
    assert report(client, component="api", kind="website").json == {"accepted": True, "counted": True}
    assert json.loads(r.get("report-offer:api")) == ["website", "login", "app", "payments", "other"]
    assert client.get("/components/api/reports").json["last_15_min"] == 1


def test_a_deleted_component_takes_its_copy_with_it_and_is_refused_reports(client, as_, components, r):
    assert report(client).status_code == 202
    assert client.delete("/components/web", headers=as_("bob")).status_code == 204
    assert r.get("report-offer:web") is None
    assert report(client, address="203.0.113.9").status_code == 404
    # no copy is made for a component that is not there
    assert components_flows.offer_to_reports(r, "web") is None and r.get("report-offer:web") is None


def test_the_demo_components_take_the_reports_they_offer(redis_url, monkeypatch, base_config, clock):
    monkeypatch.setenv("REDIS_URL", redis_url)
    assert load_demo() == 0
    client = create_app({**base_config, "CLOCK": clock}).test_client()
    assert report(client, component="api", kind="errors").status_code == 202
    assert report(client, component="api", kind="website").status_code == 422


def test_a_copy_being_rebuilt_when_its_component_is_deleted_is_not_written(components, r):
    # What offer_to_reports relies on: the component is read under WATCH, so a delete landing
    # between the read and the copy's write makes it read again, and find nothing to copy.
    r.delete("report-offer:web")
    seen = []

    def write(pipe, component):
        seen.append(component is not None)
        if len(seen) == 1:
            components_flows.delete(r, "web")  # on another connection, meanwhile
        if component is not None:
            storage.queue_offer(pipe, "web", component["problem_types"])

    components_storage.change_component(r, "web", write)
    assert seen == [True, False] and r.get("report-offer:web") is None
