"""Demo providers polling the simulator, which serves real captured payloads (offline demo)."""
from __future__ import annotations

import redis

from . import storage

DEMO = [
    ("demo-github", "GitHub (captured outage)", "statuspage/rapid7_githubstatus_summary_outage_2020-04-02.json", "statuspage"),
    ("demo-digitalocean", "DigitalOcean", "statuspage/atc0005_digitalocean-components.json", "statuspage"),
    ("demo-gcp", "Google Cloud", "gcp/igarridot_low_severity_incident_2022.json", "gcp"),
    ("demo-aws", "AWS", "aws/ayoahha_aws-currentevents.json", "aws-currentevents"),
    ("demo-azure", "Azure", "azure/checkmk_azure_status_rss_2022-11_EDITED.xml", "azure-rss"),
    ("demo-slack", "Slack", "slack/amureki_slack_current_v2_incident_2020-07.json", "slack"),
    ("demo-docker", "Docker (status.io)", "statusio/amureki_docker_statusio_partial_2020-07.json", "statusio"),
]


def load_demo(r: redis.Redis, simulator_url: str) -> int:
    added = 0
    for provider_id, name, path, fmt in DEMO:
        if storage.get(r, provider_id):
            continue
        storage.save(r, {"id": provider_id, "catalog_id": None, "name": name, "url": f"{simulator_url}/fixtures/{path}",
                         "format": fmt, "interval": 120, "enabled": True,
                         "mappings": {"provider": ["cdn"] if provider_id == "demo-github" else [], "components": {}}})
        added += 1
    return added
