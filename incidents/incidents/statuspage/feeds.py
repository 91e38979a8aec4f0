"""RSS 2.0 and Atom feeds of incidents, built with ElementTree (which escapes all text)."""
from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _summary(incident: dict) -> str:
    lines = [f"{u['status'].title()}: {u['body']}" for u in incident.get("incident_updates", [])]
    return "\n\n".join(lines)


def rss(page: dict, incidents: list[dict]) -> bytes:
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = f"{page['name']} status - incident history"
    ET.SubElement(channel, "link").text = page["url"]
    ET.SubElement(channel, "description").text = f"Incident history of {page['name']}"
    for incident in incidents:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = incident["name"]
        ET.SubElement(item, "description").text = _summary(incident)
        ET.SubElement(item, "pubDate").text = format_datetime(_dt(incident["created_at"]))
        ET.SubElement(item, "link").text = incident["shortlink"]
        ET.SubElement(item, "guid", isPermaLink="false").text = f"{page['id']}:{incident['id']}"
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def atom(page: dict, incidents: list[dict]) -> bytes:
    ns = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", ns)
    feed = ET.Element(f"{{{ns}}}feed")
    ET.SubElement(feed, f"{{{ns}}}id").text = f"tag:{page['id']},2026:history"
    ET.SubElement(feed, f"{{{ns}}}title").text = f"{page['name']} status - incident history"
    ET.SubElement(feed, f"{{{ns}}}link", href=page["url"], rel="alternate")
    ET.SubElement(feed, f"{{{ns}}}updated").text = page["updated_at"]
    for incident in incidents:
        entry = ET.SubElement(feed, f"{{{ns}}}entry")
        ET.SubElement(entry, f"{{{ns}}}id").text = f"tag:{page['id']},2026:incident:{incident['id']}"
        ET.SubElement(entry, f"{{{ns}}}title").text = incident["name"]
        ET.SubElement(entry, f"{{{ns}}}updated").text = incident["updated_at"]
        ET.SubElement(entry, f"{{{ns}}}published").text = incident["created_at"]
        ET.SubElement(entry, f"{{{ns}}}link", href=incident["shortlink"], rel="alternate")
        ET.SubElement(entry, f"{{{ns}}}content", type="text").text = _summary(incident)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(feed, encoding="utf-8")
