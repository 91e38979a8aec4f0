from datetime import UTC, datetime

import pytest
from incidents.app import create_app
from polystatus.clock import FrozenClock


@pytest.fixture()
def clock():
    return FrozenClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


@pytest.fixture()
def app(base_config, clock):
    return create_app({**base_config, "CLOCK": clock, "PUBLIC_URL": "https://status.example.com"})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def r(app):
    return app.extensions["redis"]


@pytest.fixture()
def components(client, as_):
    """web and api, created by bob (staff) through the API."""
    for cid, name in (("web", "Website"), ("api", "API")):
        response = client.post("/components", json={"id": cid, "name": name}, headers=as_("bob"))
        assert response.status_code == 201, response.json
    return ["web", "api"]


def open_incident(client, as_, **overrides):
    body = {"name": "API errors", "status": "investigating", "message": "Looking into it",
            "components": {"api": "major_outage"}, **overrides}
    response = client.post("/incidents", json=body, headers=as_("bob"))
    assert response.status_code == 201, response.json
    return response.json


def status_of(client, component_id):
    return client.get(f"/components/{component_id}").json["status"]


def event_types(r):
    # the domain events; each write's audit entry (polystatus.audit) is tested on its own
    return [fields["type"] for _, fields in r.xrange("events:incidents") if fields["type"] != "audit.recorded"]
