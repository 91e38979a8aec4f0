"""Providers PolyStatus knows out of the box, with their public status endpoints. Disabled until
an operator enables one (POST /providers {"catalog_id": ...})."""
from __future__ import annotations

CATALOG = [
    {"id": "github", "name": "GitHub", "url": "https://www.githubstatus.com/api/v2/summary.json", "format": "statuspage"},
    {"id": "cloudflare", "name": "Cloudflare", "url": "https://www.cloudflarestatus.com/api/v2/summary.json", "format": "statuspage"},
    {"id": "digitalocean", "name": "DigitalOcean", "url": "https://status.digitalocean.com/api/v2/summary.json", "format": "statuspage"},
    {"id": "atlassian", "name": "Atlassian (Jira, Confluence)", "url": "https://status.atlassian.com/api/v2/summary.json", "format": "statuspage"},
    {"id": "discord", "name": "Discord", "url": "https://discordstatus.com/api/v2/summary.json", "format": "statuspage"},
    {"id": "datadog", "name": "Datadog", "url": "https://status.datadoghq.com/api/v2/summary.json", "format": "statuspage"},
    {"id": "linode", "name": "Linode (Akamai)", "url": "https://status.linode.com/api/v2/summary.json", "format": "statuspage"},
    {"id": "gcp", "name": "Google Cloud", "url": "https://status.cloud.google.com/incidents.json", "format": "gcp"},
    {"id": "aws", "name": "Amazon Web Services", "url": "https://health.aws.amazon.com/public/currentevents", "format": "aws-currentevents"},
    {"id": "azure", "name": "Microsoft Azure", "url": "https://azure.status.microsoft/en-us/status/feed/", "format": "azure-rss"},
    {"id": "slack", "name": "Slack", "url": "https://status.slack.com/api/v2.0.0/current", "format": "slack", "min_interval": 60},
    {"id": "docker", "name": "Docker", "url": "https://api.status.io/1.0/status/533c6539221ae15e3f000031", "format": "statusio"},
    {"id": "heroku", "name": "Heroku", "url": "https://status.heroku.com/api/v4/current-status", "format": "heroku"},
]

MIN_INTERVAL = {"slack": 60}
BY_ID = {entry["id"]: entry for entry in CATALOG}
