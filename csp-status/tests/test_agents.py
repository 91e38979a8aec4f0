"""Vantage-point agents: registration, assignments, results, quorum over two real agents,
buffering while the server is away, and the agent as a process."""
import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from csp_status.agent import Agent
from csp_status.app import create_app
from csp_status.worker_checks import cycle
from polystatus.clock import SystemClock
from werkzeug.serving import make_server

PARIS, FRANKFURT = "127.0.0.1", "127.0.0.2"  # two source addresses: two network paths


def register(client, as_, region, who="alice"):
    response = client.post("/agents", json={"region": region, "name": f"{region} box"}, headers=as_(who))
    return response


def agent_headers(token):
    return {"Authorization": f"Bearer {token}"}


def make_check(client, as_, url, **extra):
    body = {"name": extra.pop("name", "Shop"), "kind": "assertions", "url": url, "interval": 60,
            "fail_threshold": 1, "conditions": ["[STATUS] == 200"], **extra}
    response = client.post("/checks", json=body, headers=as_("alice"))
    assert response.status_code == 201, response.json
    return response.json["id"]


def result(check_id, *, ok=True, at=None, result_id="r-00000001"):
    return {"id": result_id, "check_id": check_id, "ok": ok, "reason": "fine" if ok else "HTTP 500",
            "status": 200 if ok else 500, "response_time_ms": 3.5, "at": (at or datetime.now(UTC)).isoformat()}


class Live:
    """The csp-status app on a real loopback port (agents talk HTTP, like in production); it can
    be stopped and started again on the same port."""

    def __init__(self, app):
        self.app = app
        self.port = None
        self.server = None

    def start(self):
        self.server = make_server("127.0.0.1", self.port or 0, self.app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture()
def live_app(base_config):
    # A real clock: agents stamp results with the time they ran.
    return create_app({**base_config, "CSP_ALLOW_PRIVATE_TARGETS": True, "CLOCK": SystemClock()})


@pytest.fixture()
def live(live_app):
    server = Live(live_app)
    server.start()
    yield server
    try:
        server.stop()
    except Exception:  # noqa: S110 (already stopped by the test)
        pass


def test_an_admin_registers_an_agent_and_its_token_is_shown_once(client, as_):
    response = register(client, as_, "paris")
    assert response.status_code == 201
    token = response.json["token"]
    assert token.startswith("psa_") and len(token) > 40
    listed = client.get("/agents", headers=as_("alice")).json["agents"]
    assert [a["region"] for a in listed] == ["paris"]
    assert "token" not in listed[0] and token not in str(listed)


@pytest.mark.parametrize("who, status", [(None, 401), ("carol", 403), ("bob", 403), ("mallory", 401)])
def test_only_an_admin_registers_agents(client, as_, who, status):
    assert register(client, as_, "paris", who).status_code == status
    assert client.get("/agents", headers=as_(who)).status_code == status


def test_a_region_name_is_validated(client, as_):
    response = client.post("/agents", json={"region": "Paris OVH!"}, headers=as_("alice"))
    assert response.status_code == 422 and "region" in response.json["error"]["details"]["json"]


def test_assignments_need_an_agent_token_not_a_users_token(client, as_):
    token = register(client, as_, "paris").json["token"]
    assert client.get("/agent/assignments").status_code == 401
    assert client.get("/agent/assignments", headers=as_("alice")).status_code == 401
    assert client.get("/agent/assignments", headers=agent_headers("psa_forged")).status_code == 401
    answer = client.get("/agent/assignments", headers=agent_headers(token))
    assert answer.status_code == 200 and answer.json["agent"]["region"] == "paris"


def test_assignments_answer_304_while_nothing_changed(client, as_, served):
    token = register(client, as_, "paris").json["token"]
    make_check(client, as_, served.url("/up"))
    first = client.get("/agent/assignments", headers=agent_headers(token))
    again = client.get("/agent/assignments", headers={**agent_headers(token), "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    make_check(client, as_, served.url("/other"), name="Other")
    changed = client.get("/agent/assignments", headers={**agent_headers(token), "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and len(changed.json["checks"]) == 2


def test_a_revoked_agent_is_refused(client, as_):
    created = register(client, as_, "paris").json
    assert client.delete(f"/agents/{created['id']}", headers=as_("alice")).status_code == 204
    assert client.get("/agent/assignments", headers=agent_headers(created["token"])).status_code == 401
    assert client.delete(f"/agents/{created['id']}", headers=as_("alice")).status_code == 404


def test_a_check_listed_for_some_regions_runs_only_there(app, client, as_, served, r, clock):
    served.routes["/up"] = (200, {}, b"ok")
    paris = register(client, as_, "paris").json["token"]
    frankfurt = register(client, as_, "frankfurt").json["token"]
    check_id = make_check(client, as_, served.url("/up"), run_in=["paris"])
    assert [c["id"] for c in client.get("/agent/assignments", headers=agent_headers(paris)).json["checks"]] == [check_id]
    assert client.get("/agent/assignments", headers=agent_headers(frankfurt)).json["checks"] == []
    # Nor does the server's own scheduler (region "local") run it.
    from csp_status.checks import engine

    outcome = cycle(r, app.config, clock, engine.Engine(allow_private=True))
    assert outcome["ran"] == 0 and served.hits == []
    # And a result from a region the check is not assigned to is not taken.
    answer = client.post("/agent/results", json={"results": [result(check_id, at=clock.now())]},
                         headers=agent_headers(frankfurt))
    assert answer.json["unknown"] == [check_id] and answer.json["recorded"] == 0


def test_a_batch_posted_twice_is_counted_once(client, as_, served, clock):
    token = register(client, as_, "paris").json["token"]
    check_id = make_check(client, as_, served.url("/up"))
    batch = {"results": [result(check_id, at=clock.now())]}
    first = client.post("/agent/results", json=batch, headers=agent_headers(token)).json
    second = client.post("/agent/results", json=batch, headers=agent_headers(token)).json
    assert (first["recorded"], first["duplicates"]) == (1, 0)
    assert (second["recorded"], second["duplicates"]) == (0, 1)
    assert len(client.get(f"/checks/{check_id}/results").json["results"]) == 1


def test_old_results_are_history_and_do_not_move_the_state(client, as_, served, clock):
    token = register(client, as_, "paris").json["token"]
    check_id = make_check(client, as_, served.url("/up"))
    client.post("/agent/results", json={"results": [result(check_id, at=clock.now())]}, headers=agent_headers(token))
    late = result(check_id, ok=False, at=clock.now() - timedelta(hours=1), result_id="r-00000002")
    answer = client.post("/agent/results", json={"results": [late]}, headers=agent_headers(token)).json
    assert (answer["recorded"], answer["history"]) == (0, 1)
    check = client.get(f"/checks/{check_id}").json
    assert check["state"] == "up" and check["regions"]["paris"]["ok"] is True
    assert len(client.get(f"/checks/{check_id}/results").json["results"]) == 2


def test_results_dated_in_the_future_are_refused(client, as_, served, clock):
    token = register(client, as_, "paris").json["token"]
    check_id = make_check(client, as_, served.url("/up"))
    ahead = result(check_id, at=clock.now() + timedelta(hours=2))
    answer = client.post("/agent/results", json={"results": [ahead]}, headers=agent_headers(token)).json
    assert answer["refused"] == 1 and client.get(f"/checks/{check_id}/results").json["results"] == []


def test_the_agent_token_is_checked_before_the_body(client):
    response = client.post("/agent/results", json={})
    assert response.status_code == 401 and response.json["error"]["code"] == "agent_token_invalid"


def test_a_results_batch_is_validated(client, as_):
    token = register(client, as_, "paris").json["token"]
    for bad in ({}, {"results": []}, {"results": [{"check_id": "x", "ok": True}]},
                {"results": [{"id": "r-00000001", "check_id": "x", "ok": True, "at": "2026-03-02T12:00:00"}]}):
        response = client.post("/agent/results", json=bad, headers=agent_headers(token))
        assert response.status_code == 422, bad


def run_agents(*agents):
    async def both():
        await asyncio.gather(*(agent.once() for agent in agents))

    asyncio.run(both())


def test_two_agents_combine_by_the_quorum_rule(live_app, live, served, as_):
    # The target fails only for requests coming from Paris's network path, then for both.
    broken = {PARIS}

    def shop(handler):
        return (500, {}, b"down") if handler.client_address[0] in broken else (200, {}, b"ok")

    served.routes["/shop"] = shop
    client = live_app.test_client()
    paris = Agent(live.url, register(client, as_, "paris").json["token"], region="paris", source_address=PARIS)
    frankfurt = Agent(live.url, register(client, as_, "frankfurt").json["token"], region="frankfurt",
                      source_address=FRANKFURT)
    check_id = make_check(client, as_, served.url("/shop"))

    run_agents(paris, frankfurt)
    check = client.get(f"/checks/{check_id}").json
    assert check["regions"] == {"paris": {"ok": False, "reason": check["regions"]["paris"]["reason"]},
                                "frankfurt": {"ok": True, "reason": check["regions"]["frankfurt"]["reason"]}}
    assert "500" in check["regions"]["paris"]["reason"]
    assert check["state"] == "degraded"  # one region of two: not down for everyone

    broken.add(FRANKFURT)
    run_agents(paris, frankfurt)
    assert client.get(f"/checks/{check_id}").json["state"] == "down"
    assert client.get(f"/checks/{check_id}/health").status_code == 500

    broken.clear()
    run_agents(paris, frankfurt)
    assert client.get(f"/checks/{check_id}").json["state"] == "up"
    seen = {a["region"]: a["last_contact"] for a in client.get("/agents", headers=as_("alice")).json["agents"]}
    assert seen["paris"]["last_batch"] == 1 and seen["frankfurt"]["at"]


def test_an_agent_keeps_its_results_while_the_server_is_away(live_app, live, served, as_):
    served.routes["/up"] = (200, {}, b"ok")
    client = live_app.test_client()
    agent = Agent(live.url, register(client, as_, "paris").json["token"], region="paris", timeout=2)
    check_id = make_check(client, as_, served.url("/up"))
    run_agents(agent)
    assert len(client.get(f"/checks/{check_id}/results").json["results"]) == 1

    live.stop()

    async def away():
        from polystatus import outbound

        async with outbound.check_session(limit=4) as api, outbound.check_session(limit=10) as checks:
            for _ in range(3):
                agent.next_run = dict.fromkeys(agent.checks, 0.0)
                agent.retry_at = 0.0
                await agent.step(api, checks)

    asyncio.run(away())
    assert len(agent.buffer) == 3 and agent.backoff > 0  # ran, could not send, kept them

    live.start()  # back, on the same port
    agent.retry_at = 0.0
    left = asyncio.run(agent.once())
    assert left == 0
    results = client.get(f"/checks/{check_id}/results").json["results"]
    assert len(results) == 5 and {r["region"] for r in results} == {"paris"}


def test_the_agent_process_waits_for_its_token_and_reports(live_app, live, served, as_, tmp_path):
    served.routes["/up"] = (200, {}, b"ok")
    client = live_app.test_client()
    check_id = make_check(client, as_, served.url("/up"))
    token_file = tmp_path / "agent-token"
    env = {**os.environ, "LOG_FORMAT": "text", "WORKER_ALIVE_FILE": str(tmp_path / "alive")}
    process = subprocess.Popen([sys.executable, "-m", "csp_status.agent", "--server", live.url, "--region", "paris",
                                "--token-file", str(token_file)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        # the token is written once the agent says it waits for one (however slow its start)
        deadline = time.monotonic() + 30
        while not any("waiting for a token" in line for line in lines) and time.monotonic() < deadline:
            assert process.poll() is None, "".join(lines)  # waiting, not failed
            time.sleep(0.1)
        token_file.write_text(register(client, as_, "paris").json["token"] + "\n")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if client.get(f"/checks/{check_id}").json["regions"].get("paris"):
                break
            time.sleep(0.3)
        assert client.get(f"/checks/{check_id}").json["regions"]["paris"]["ok"] is True
        assert (tmp_path / "alive").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        reader.join(timeout=5)
    output = "".join(lines)
    assert process.returncode == 0, output
    assert "waiting for a token" in output and "1 checks assigned" in output


def test_an_agent_skips_an_assignment_its_check_spec_refuses(caplog):
    from csp_status.agent import Agent

    agent = Agent("http://127.0.0.1:9", "psa_x")
    agent.allow_private = False
    agent.apply([{"id": "good", "name": "Good", "kind": "assertions", "url": "http://93.184.215.14/", "interval": 60},
                 {"id": "inside", "name": "Inside", "kind": "assertions", "url": "http://169.254.169.254/", "interval": 60},
                 {"id": "bad", "name": "Bad", "kind": "assertions", "url": "http://93.184.215.14/", "interval": 60,
                  "conditions": ["[STATUS]==200"]}])
    assert set(agent.checks) == {"good"}
    assert "inside" in caplog.text and "bad" in caplog.text and "invalid condition" in caplog.text


def test_an_agent_that_cannot_reach_its_server_says_so_to_sentry(sentry_receiver, tmp_path):
    # A vantage point runs where nobody reads its logs: its errors must reach Sentry.
    env = {**os.environ, "LOG_FORMAT": "text", "SENTRY_DSN": sentry_receiver.dsn,
           "WORKER_ALIVE_FILE": str(tmp_path / "alive")}
    result = subprocess.run([sys.executable, "-m", "csp_status.agent", "--server", "http://127.0.0.1:9",
                             "--region", "paris", "--token", "agent-token-for-a-server-that-is-not-there", "--once"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    [event] = sentry_receiver.wait_for(lambda r: r.events)
    assert "could not run once" in json.dumps(event)
    assert event["tags"]["service"] == "csp-status" and event["tags"]["process"] == "agent"
    assert "agent-token-for-a-server" not in json.dumps(event)
