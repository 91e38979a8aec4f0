"""An agent runs the sql, redis and icmp kinds too: its assignment carries the DSN whole (the
server unseals it for the agent) or the name of a password the agent reads from its own
environment; results come back through the agent API like any check's."""
import pytest
from conftest import SECRETS_KEY
from csp_status.agent import Agent
from csp_status.app import create_app
from polystatus.clock import SystemClock
from test_agents import Live, agent_headers, register, run_agents
from test_sql_checks import dsn_with, reader  # noqa: F401 (reader is a fixture)


@pytest.fixture()
def live_server(base_config):
    app = create_app({**base_config, "CSP_ALLOW_PRIVATE_TARGETS": True, "CLOCK": SystemClock(),
                      "CHECK_SECRETS_KEY": [SECRETS_KEY]})
    server = Live(app)
    server.start()
    yield app, server
    server.stop()


def test_an_agent_runs_sql_redis_and_icmp_checks_with_the_password_unsealed_for_it(
        live_server, as_, reader, redis_server, monkeypatch):  # noqa: F811 (reader is the fixture imported above)
    app, server = live_server
    client = app.test_client()
    name, password, port = reader
    token = register(client, as_, "paris").json["token"]
    bodies = [{"name": "Orders DB", "kind": "sql", "dsn": dsn_with(name, password, port), "query": "SELECT 1 AS one",
               "conditions": ["[ROWS][0].one == 1"]},
              {"name": "Orders DB by name", "kind": "sql", "dsn": f"mysql://{name}@127.0.0.1:{port}/test",
               "password_env": "CHECK_SECRET_AGENT_DB", "query": "SELECT 1 AS one"},
              {"name": "Cache", "kind": "redis", "dsn": f"redis://127.0.0.1:{redis_server.port}/0",
               "conditions": ["[RESULT] == PONG"]},
              {"name": "Loopback", "kind": "icmp", "host": "127.0.0.1", "conditions": ["[PACKET_LOSS] == 0"]}]
    ids = {}
    for body in bodies:
        response = client.post("/checks", json={**body, "interval": 60, "fail_threshold": 1, "run_in": ["paris"]},
                               headers=as_("alice"))
        assert response.status_code == 201, response.json
        ids[body["name"]] = response.json["id"]
    assigned = client.get("/agent/assignments", headers=agent_headers(token)).json["checks"]
    orders = next(c for c in assigned if c["name"] == "Orders DB")
    assert orders["dsn"] == dsn_with(name, password, port) and "dsn_password" not in orders
    monkeypatch.setenv("CHECK_SECRET_AGENT_DB", password)  # the agent's own environment
    run_agents(Agent(server.url, token, region="paris"))
    for check_name, check_id in ids.items():
        check = client.get(f"/checks/{check_id}").json
        assert check["regions"]["paris"]["ok"] is True, (check_name, check["regions"])
        assert check["state"] == "up"
    assert client.get(f"/checks/{ids['Orders DB']}/results").json["results"][0]["row_count"] == 1
    assert client.get(f"/checks/{ids['Loopback']}/results").json["results"][0]["packet_loss"] == 0
