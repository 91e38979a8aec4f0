"""Incident updates and postmortems are written in Markdown. They become HTML here, and only
here: markdown-it-py parses CommonMark with raw HTML turned off (a `<script>` in an update is
shown as text), then nh3 (the Ammonia sanitiser) keeps only an allow-list of tags and
attributes and safe link schemes, so even a parser bug cannot put script on the page."""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table").enable("strikethrough")
TAGS = {"p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
        "hr", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render(text: str | None) -> Markup:
    if not text:
        return Markup("")
    html = _parser.render(text)
    # Headings inside an update sit below the page's own h1/h2: h1/h2 written in an update are
    # shown as h3, so the page's outline stays right.
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>").replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)  # noqa: S704 (sanitised just above)
