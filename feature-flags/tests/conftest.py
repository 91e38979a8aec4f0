from datetime import UTC, datetime

import pytest
from feature_flags.app import create_app
from polystatus.clock import FrozenClock


@pytest.fixture()
def app(base_config):
    return create_app({**base_config, "FLAG_CACHE_S": 0, "CLOCK": FrozenClock(datetime(2026, 3, 2, tzinfo=UTC))})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def flag(client, as_):
    def make(**body):
        body = {"key": "new-ui", "type": "boolean", "variants": {"on": True, "off": False}, "default_variant": "off",
                **body}
        response = client.post("/flags", json=body, headers=as_("alice"))
        assert response.status_code == 201, response.json
        return response.json
    return make


def evaluate(client, key, context=None, headers=None):
    return client.post(f"/ofrep/v1/evaluate/flags/{key}", json={"context": context or {}}, headers=headers or {})
