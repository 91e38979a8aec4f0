"""Settings every service shares: read once, in polystatus.settings."""
import importlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from polystatus import settings
from polystatus.clock import parse_iso


@pytest.mark.parametrize(("module", "default"), [
    ("incidents.settings", ["127.0.0.1", "::1"]), ("users.settings", ["127.0.0.1", "::1"]),
    ("comms.settings", ["127.0.0.1", "::1"]), ("csp_status.settings", ["127.0.0.1", "::1"]),
    ("feature_flags.settings", ["127.0.0.1", "::1"]),
    ("frontend.settings", []),  # the public entry under `make up`: it trusts no proxy unless told
])
def test_every_service_reads_trusted_proxies_the_same_way_with_its_own_default(module, default):
    load = importlib.import_module(module).load
    assert load({})["TRUSTED_PROXIES"] == default
    assert load({"TRUSTED_PROXIES": "10.0.0.0/8"})["TRUSTED_PROXIES"] == ["10.0.0.0/8"]
    with pytest.raises(settings.SettingsError, match="TRUSTED_PROXIES"):
        load({"TRUSTED_PROXIES": "edge.local"})


def test_a_trusted_proxy_that_is_not_an_address_stops_the_start():
    with pytest.raises(settings.SettingsError, match="TRUSTED_PROXIES"):
        settings.trusted_proxies({"TRUSTED_PROXIES": "127.0.0.1,edge.local"})
    assert settings.trusted_proxies({}, default=()) == []


def test_parse_iso_reads_the_z_an_offset_and_a_bare_time_as_utc():
    assert parse_iso("2026-01-05T12:00:00.000Z") == datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert parse_iso("2026-01-05T14:00:00+02:00") == datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert parse_iso("2026-01-05T14:00:00+02:00").utcoffset() == timezone(timedelta(hours=2)).utcoffset(None)
    assert parse_iso("2026-01-05T12:00:00").tzinfo is UTC
    with pytest.raises(ValueError):
        parse_iso("yesterday")
