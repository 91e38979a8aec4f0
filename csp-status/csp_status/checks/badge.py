"""A check's SVG status badge, written by ElementTree (which escapes markup in text and
attributes) from text cleaned of what XML 1.0 cannot carry: a check renamed before names were
validated (issue 21), or any future slip, still gives an image that parses."""
from __future__ import annotations

from xml.etree import ElementTree as ET

from polystatus.text import one_line

SVG_NS = "http://www.w3.org/2000/svg"
COLOURS = {"up": "#2e7d32", "degraded": "#f9a825", "down": "#c62828"}
GREY = "#757575"


def svg(name: str, state: str) -> bytes:
    label, value = one_line(name)[:30], one_line(state)
    width = 7 * len(label) + 10
    ET.register_namespace("", SVG_NS)
    root = ET.Element(f"{{{SVG_NS}}}svg", width=str(width + 60), height="20", role="img",
                      **{"aria-label": f"{label}: {value}"})
    ET.SubElement(root, f"{{{SVG_NS}}}rect", width=str(width), height="20", fill="#555")
    ET.SubElement(root, f"{{{SVG_NS}}}rect", x=str(width), width="60", height="20", fill=COLOURS.get(state, GREY))
    group = ET.SubElement(root, f"{{{SVG_NS}}}g", {"fill": "#fff", "font-family": "Verdana,sans-serif",
                                                   "font-size": "11"})
    ET.SubElement(group, f"{{{SVG_NS}}}text", x="5", y="14").text = label
    ET.SubElement(group, f"{{{SVG_NS}}}text", x=str(width + 6), y="14").text = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
