"""RSS 2.0 and Atom feeds of incidents, built with ElementTree (which escapes all text).

ElementTree escapes markup but writes any character it is given, and XML 1.0 cannot carry
control characters, unpaired surrogates or U+FFFE/U+FFFF: one such character stored before
text was validated (issue 21) would make the whole feed unreadable for every subscriber. So
every piece of text goes through :func:`polystatus.text.clean` first.
"""
from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from polystatus.clock import parse_iso
from polystatus.text import clean, one_line


def _dt(value: str) -> datetime:
    return parse_iso(value)


def _summary(incident: dict) -> str:
    lines = [f"{u['status'].title()}: {u['body']}" for u in incident.get("incident_updates", [])]
    return clean("\n\n".join(lines))


def rss(page: dict, incidents: list[dict]) -> bytes:
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = one_line(f"{page['name']} status - incident history")
    ET.SubElement(channel, "link").text = page["url"]
    ET.SubElement(channel, "description").text = one_line(f"Incident history of {page['name']}")
    for incident in incidents:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = one_line(incident["name"])
        ET.SubElement(item, "description").text = _summary(incident)
        ET.SubElement(item, "pubDate").text = format_datetime(_dt(incident["created_at"]))
        ET.SubElement(item, "link").text = incident["shortlink"]
        ET.SubElement(item, "guid", isPermaLink="false").text = f"{page['id']}:{incident['id']}"
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def atom(page: dict, incidents: list[dict]) -> bytes:
    ns = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", ns)
    feed = ET.Element(f"{{{ns}}}feed")
    ET.SubElement(feed, f"{{{ns}}}id").text = f"tag:{page['id']},2026:history"
    ET.SubElement(feed, f"{{{ns}}}title").text = one_line(f"{page['name']} status - incident history")
    ET.SubElement(feed, f"{{{ns}}}link", href=page["url"], rel="alternate")
    ET.SubElement(feed, f"{{{ns}}}updated").text = page["updated_at"]
    for incident in incidents:
        entry = ET.SubElement(feed, f"{{{ns}}}entry")
        ET.SubElement(entry, f"{{{ns}}}id").text = f"tag:{page['id']},2026:incident:{incident['id']}"
        ET.SubElement(entry, f"{{{ns}}}title").text = one_line(incident["name"])
        ET.SubElement(entry, f"{{{ns}}}updated").text = incident["updated_at"]
        ET.SubElement(entry, f"{{{ns}}}published").text = incident["created_at"]
        ET.SubElement(entry, f"{{{ns}}}link", href=incident["shortlink"], rel="alternate")
        ET.SubElement(entry, f"{{{ns}}}content", type="text").text = _summary(incident)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
