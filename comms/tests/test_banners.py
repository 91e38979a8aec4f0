from datetime import timedelta

import pytest
from polystatus.clock import isoformat


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 201), ("alice", 201)])
def test_only_staff_post_banners(client, as_, who, expected):
    assert client.post("/banners", json={"message": "Hello", "severity": "info"}, headers=as_(who)).status_code == expected


def test_active_banners_follow_their_window(client, as_, clock):
    client.post("/banners", headers=as_("bob"), json={
        "message": "Maintenance tonight", "severity": "warning",
        "starts_at": isoformat(clock.now() + timedelta(hours=1)), "ends_at": isoformat(clock.now() + timedelta(hours=2))})
    client.post("/banners", headers=as_("bob"), json={"message": "Outage", "severity": "critical"})
    assert [b["message"] for b in client.get("/banners/active").json["banners"]] == ["Outage"]
    clock.advance(minutes=90)
    assert [b["message"] for b in client.get("/banners/active").json["banners"]] == ["Outage", "Maintenance tonight"]
    clock.advance(hours=1)
    assert len(client.get("/banners/active").json["banners"]) == 1


def test_a_banner_must_end_after_it_starts(client, as_, clock):
    response = client.post("/banners", headers=as_("bob"), json={
        "message": "x", "starts_at": isoformat(clock.now()), "ends_at": isoformat(clock.now() - timedelta(hours=1))})
    assert response.status_code == 422


def test_banner_links_must_be_http(client, as_):
    response = client.post("/banners", headers=as_("bob"), json={"message": "x", "link": "javascript:alert(1)"})
    assert response.status_code == 422
