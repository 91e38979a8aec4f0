"""Every adapter on the real captured payloads, plus edge cases written by hand."""
import json
import logging
from datetime import UTC, datetime

import pytest
from conftest import fixture_bytes
from csp_status.providers import adapters


def test_github_outage_summary_is_a_partial_outage_with_its_incident():
    result = adapters.parse("statuspage", fixture_bytes("statuspage/rapid7_githubstatus_summary_outage_2020-04-02.json"))
    assert result.state == "partial_outage"
    assert result.incidents and result.incidents[0]["state"] in ("partial_outage", "major_outage", "degraded")
    assert any(c["state"] != "operational" for c in result.components)


def test_github_calm_summary_is_operational():
    result = adapters.parse("statuspage", fixture_bytes("statuspage/rapid7_githubstatus_summary_ok_2019-12-30.json"))
    assert result.state == "operational" and result.incidents == []
    assert result.description == "All Systems Operational"


def test_a_components_only_document_takes_the_worst_component_and_keeps_groups():
    result = adapters.parse("statuspage", fixture_bytes("statuspage/atc0005_digitalocean-components.json"))
    assert result.state == "operational" and len(result.components) > 20
    assert any(c["group"] for c in result.components)


def test_gcp_ongoing_incidents_have_products_and_locations():
    result = adapters.parse("gcp", fixture_bytes("gcp/igarridot_low_severity_incident_2022.json"))
    assert len(result.incidents) == 2
    first = result.incidents[0]
    assert first["components"] == ["Google Compute Engine"] and "London (europe-west2)" in first["locations"]


def test_gcp_ended_incidents_are_not_current():
    doc = json.loads(fixture_bytes("gcp/igarridot_low_severity_incident_2022.json"))
    for item in doc:
        item["end"] = "2022-07-20T00:00:00+00:00"
    assert adapters.parse("gcp", json.dumps(doc).encode()).state == "operational"


def test_aws_currentevents_counts_only_events_without_end_time():
    result = adapters.parse("aws-currentevents", fixture_bytes("aws/ayoahha_aws-currentevents.json"))
    doc = json.loads(fixture_bytes("aws/ayoahha_aws-currentevents.json"))
    assert len(result.incidents) == sum(1 for e in doc if not e.get("end_time"))
    assert result.state == "major_outage"


def test_aws_currentevents_in_utf16_with_a_bom_parses_the_same():
    utf8 = fixture_bytes("aws/ayoahha_aws-currentevents.json")
    utf16 = utf8.decode("utf-8").encode("utf-16")  # Python writes the BOM
    assert utf16[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert adapters.parse("aws-currentevents", utf16).as_dict() == adapters.parse("aws-currentevents", utf8).as_dict()


def test_aws_rss_resolved_items_are_operational_and_old_items_age_out():
    body = fixture_bytes("aws/uql_aws_all_rss_2021-12.xml")
    on_the_day = adapters.parse("aws-rss", body, now=datetime(2021, 12, 16, tzinfo=UTC))
    assert on_the_day.state == "operational" and on_the_day.components
    assert adapters.parse("aws-rss", body, now=datetime(2026, 1, 1, tzinfo=UTC)).components == []


def test_aws_rss_a_disruption_title_is_a_major_outage():
    body = fixture_bytes("aws/uql_aws_all_rss_2021-12.xml").replace(
        b"Service is operating normally: [RESOLVED]", b"Service disruption: [ONGOING]", 1)
    result = adapters.parse("aws-rss", body, now=datetime(2021, 12, 16, tzinfo=UTC))
    assert result.state == "major_outage"


def test_azure_items_are_current_issues():
    result = adapters.parse("azure-rss", fixture_bytes("azure/checkmk_azure_status_rss_2022-11_EDITED.xml"))
    assert result.state == "partial_outage" and len(result.incidents) == 3
    assert "Azure Synapse Analytics" in [c["name"] for c in result.components]


def test_azure_without_items_is_all_clear():
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Azure Status</title></channel></rss>'
    assert adapters.parse("azure-rss", empty).state == "operational"


def test_an_html_error_page_is_an_error_not_all_clear():
    with pytest.raises(adapters.ParseError):
        adapters.parse("azure-rss", b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")
    with pytest.raises(adapters.ParseError):
        adapters.parse("statuspage", b"<html><body>Service Unavailable</body></html>")


def test_slack_active_incidents_and_their_services():
    result = adapters.parse("slack", fixture_bytes("slack/amureki_slack_current_v2_incident_2020-07.json"))
    assert result.state == "partial_outage" and len(result.incidents) == 2
    assert "Notifications" in [c["name"] for c in result.components]


def test_statusio_codes_map_to_states():
    result = adapters.parse("statusio", fixture_bytes("statusio/amureki_docker_statusio_partial_2020-07.json"))
    assert result.state == "partial_outage"
    states = {c["name"]: c["state"] for c in result.components}
    assert states["Docker Hub Automated Builds"] == "partial_outage" and states["Docker Hub Web"] == "operational"
    assert result.incidents[0]["components"] == ["Docker Hub Automated Builds"]


def test_heroku_v4_colours_hand_written():
    body = json.dumps({"status": [{"system": "Apps", "status": "red"}, {"system": "Data", "status": "green"}],
                       "incidents": [{"id": 1, "title": "Dynos failing", "systems": ["Apps"]}], "scheduled": []})
    result = adapters.parse("heroku", body.encode())
    assert result.state == "major_outage" and result.incidents[0]["name"] == "Dynos failing"


def test_a_generic_feed_counts_recent_unresolved_entries():
    feed = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
    <entry><title>Database slow</title><updated>2026-03-02T11:00:00Z</updated><id>1</id></entry>
    <entry><title>[Resolved] Login issue</title><updated>2026-03-02T10:00:00Z</updated><id>2</id></entry>
    <entry><title>Old problem</title><updated>2026-01-01T10:00:00Z</updated><id>3</id></entry></feed>"""
    result = adapters.parse("rss", feed, now=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert [i["name"] for i in result.incidents] == ["Database slow"] and result.state == "degraded"


def test_an_unknown_enum_is_unknown_with_a_warning_not_a_crash(caplog):
    doc = json.loads(fixture_bytes("statuspage/rapid7_githubstatus_summary_ok_2019-12-30.json"))
    doc["status"]["indicator"] = "apocalyptic"
    doc["components"][0]["status"] = "on_fire"
    with caplog.at_level(logging.WARNING):
        result = adapters.parse("statuspage", json.dumps(doc).encode())
    assert result.state == "unknown" and result.components[0]["state"] == "unknown"
    assert "apocalyptic" in caplog.text


@pytest.mark.parametrize("fmt", adapters.FORMATS)
def test_garbage_is_a_parse_error_for_every_format(fmt):
    with pytest.raises(adapters.ParseError):
        adapters.parse(fmt, b"\x00\x01garbage{[")


def test_a_truncated_body_is_a_parse_error():
    body = fixture_bytes("statuspage/rapid7_githubstatus_summary_ok_2019-12-30.json")
    with pytest.raises(adapters.ParseError):
        adapters.parse("statuspage", body[: len(body) // 2])
