"""Text on the public origin (issue 21): the frontend passes the incident feeds through byte for
byte (what incidents writes well-formed stays so), and cleans whatever a backend answers before
a page or a document shows it, so text stored before the rules cannot take a page down."""
import json
import re
from html.parser import HTMLParser

from conftest import INCIDENT, statuspage_summary
from frontend.page import richtext
from polystatus.fuzzing import strict_feed, strict_json

ATOM = ('<?xml version=\'1.0\' encoding=\'utf-8\'?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<id>tag:polystatus,2026:history</id><title>Caf\u00e9 status - incident history</title>"
        '<updated>2026-03-02T12:00:00Z</updated><entry><id>tag:polystatus,2026:incident:1</id>'
        "<title>&lt;img src=x&gt; ]]&gt; &amp;amp; \u0645\u0631\u062d\u0628\u0627 \U0001f642 \ufffd</title>"
        "<updated>2026-03-02T12:00:00Z</updated><content type=\"text\">Line one\nLine\ttwo</content>"
        "</entry></feed>")


def test_a_feed_with_any_character_xml_carries_passes_through_byte_for_byte(client, backends):
    backends.documents["/history.atom"] = (200, ATOM, "application/atom+xml")
    response = client.get("/history.atom")
    assert response.status_code == 200 and response.data == ATOM.encode("utf-8")
    feed = strict_feed(response.data)
    assert feed.entries[0].title == "<img src=x> ]]> &amp; \u0645\u0631\u062d\u0628\u0627 \U0001f642 \ufffd"


# What a backend answers for text it stored before the text rules (straight into its Redis, or by
# an older version): json.dumps escapes it, so it arrives as an unpaired surrogate, controls, a
# noncharacter and an escape sequence. Rendered as such, a page would fail to encode as UTF-8.
OLD = "\ud800\x0c\x00\x1b[2J\x85\ufffe"
SHOWN = "\ufffd[2J\ufffd"  # what clean() leaves of it: the surrogate and noncharacter replaced, controls dropped
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class Text(HTMLParser):
    """The text of a page (its script data left out), read by the standard library's parser."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def page_text(raw: bytes) -> str:
    html = raw.decode("utf-8")  # strict: a surrogate could not have been encoded
    assert not CONTROLS.search(html), repr(CONTROLS.search(html).group())
    parser = Text()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def test_text_a_backend_stored_before_the_rules_leaves_every_page_and_document_whole(client, backends):
    docs = backends.documents
    docs["/components"] = {"groups": [{"id": "core", "name": f"Core{OLD}"}],
                           "components": [{"id": "web", "name": f"Website{OLD}", "description": f"Shop{OLD}",
                                           "status": "operational", "group_id": "core"},
                                          {"id": "api", "name": "API", "status": "partial_outage", "group_id": "core"}]}
    incident = {**INCIDENT, "name": f"Slow API{OLD}", "postmortem_body": f"## What{OLD}\n\nA **full{OLD}** disk.",
                "components": [{"id": "api", "name": f"API{OLD}", "status": "operational"}],
                "incident_updates": [{**update, "body": f"{update['body']}{OLD}"} for update in INCIDENT["incident_updates"]]}
    docs[f"/incidents/{INCIDENT['id']}"] = incident
    open_incident = {**incident, "status": "investigating", "resolved_at": None}
    docs["/api/v2/summary.json"] = statuspage_summary("major", [open_incident])
    docs["/banners/active"] = {"banners": [{"id": "b1", "message": f"Planned work{OLD} tonight", "severity": "info"}]}
    docs["/checks"] = {"checks": [{"id": "shop", "name": f"Shop{OLD}", "status": "up"}]}
    docs["/providers"] = {"providers": [{"id": "github", "name": f"GitHub{OLD}", "status": "operational"}]}

    for path, shown in (("/", ("Website" + SHOWN, "Planned work" + SHOWN, "Slow API" + SHOWN, "Shop" + SHOWN)),
                        ("/components/web", ("Website" + SHOWN,)),
                        (f"/incidents/{INCIDENT['id']}", ("Slow API" + SHOWN, "full" + SHOWN, "Fixed." + SHOWN))):
        for language in ("en", "fr"):
            response = client.get(path, headers={"Accept-Language": language})
            assert response.status_code == 200, (path, response.status_code)
            text = page_text(response.data)
            assert all(part in text for part in shown), (path, [p for p in shown if p not in text])
    for path in ("/api/page.json", "/api/v2/summary.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        document = strict_json(response.data)
        assert not CONTROLS.search(json.dumps(document, ensure_ascii=False)), path
    page = strict_json(client.get("/api/page.json").data)
    assert page["components"][0]["name"] == "Website" + SHOWN and page["banners"][0]["message"] == f"Planned work{SHOWN} tonight"


class Tags(HTMLParser):
    """Every tag and attribute of a fragment, and whether its elements close in order."""

    VOID = {"br", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.seen: list[tuple[str, dict]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.seen.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:] or 'nothing'}"
        self.open.pop()


def test_the_markdown_preview_takes_any_text_and_answers_sanitised_html_or_a_422_naming_the_field(client):
    """Issue 21 for the console's preview (no OpenAPI text fuzzing reaches a route of the
    frontend): arbitrary Unicode, markup and Markdown with links in it."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from polystatus.fuzzing import SPECIALS, nasty_text
    from polystatus.text import problem

    markdown = st.sampled_from(["# h1 ", "**b** ", "[x](javascript:alert(1)) ", "<img src=x onerror=alert(1)>",
                                "[y](https://example.com \"t\")", "\n\n", "| a | b |\n|---|---|\n| 1 | 2 |\n", "`c`"])
    text = st.lists(st.one_of(nasty_text(), markdown), min_size=1, max_size=4).map("".join)

    def attempt(value: str) -> None:
        answer = client.post("/preview/markdown", data=json.dumps({"text": value}), content_type="application/json")
        document = strict_json(answer.data)
        if problem(value, multiline=True) is not None:
            assert answer.status_code == 422, f"{value[:80]!r}: text the rules refuse answered {answer.status_code}"
        if answer.status_code == 422:
            assert "text" in document["error"]["details"]["json"], document
            return
        assert answer.status_code == 200, (value[:80], answer.status_code, document)
        html = document["html"]
        assert not CONTROLS.search(html), repr(value[:80])
        tags = Tags()
        tags.feed(html)
        tags.close()
        assert tags.open == [], (value[:80], html[:300])
        for tag, attributes in tags.seen:
            assert tag in richtext.TAGS, (tag, value[:80])
            assert set(attributes) <= richtext.ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set()), tag
            assert not attributes.get("href", "").lower().startswith("javascript"), attributes

    for value in (*SPECIALS, "", "<script>alert(1)</script>\n\n[a](javascript:alert(1))"):
        attempt(value)

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(value=text)
    def arbitrary(value):
        attempt(value)

    arbitrary()
