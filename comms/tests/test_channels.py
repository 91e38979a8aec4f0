import pytest
from comms.channels.service import mask


@pytest.mark.parametrize("url,masked", [
    ("slack://T1234/B5678/abcdefSECRET", "slack://T1234/****"),
    ("mailtos://user:hunter2@mail.example.com:465?to=ops@example.com", "mailtos://****@mail.example.com:465/****"),
    ("json://127.0.0.1:8080/hook", "json://127.0.0.1:8080/****"),
    ("webhooks://hooks.example.com/polystatus?token=abc", "webhooks://hooks.example.com/****"),
])
def test_secrets_in_channel_urls_are_masked(url, masked):
    assert mask(url) == masked


def test_a_saved_channel_never_shows_its_url_again(client, as_):
    created = client.post("/channels", headers=as_("alice"), json={
        "name": "Ops", "url": "slack://T1234/B5678/abcdefSECRET", "events": ["incident.*"]})
    assert created.status_code == 201 and "SECRET" not in created.get_data(as_text=True)
    listing = client.get("/channels", headers=as_("alice")).get_data(as_text=True)
    assert "SECRET" not in listing and "slack://T1234/****" in listing


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 403), ("alice", 201)])
def test_only_admins_manage_channels(client, as_, who, expected):
    response = client.post("/channels", headers=as_(who), json={"name": "x", "url": "json://h/x", "events": ["incident.*"]})
    assert response.status_code == expected


def test_unknown_event_types_are_refused(client, as_):
    response = client.post("/channels", headers=as_("alice"), json={"name": "x", "url": "json://h/x", "events": ["nope"]})
    assert response.status_code == 422
