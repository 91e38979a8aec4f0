"""The frontend passes the incident feeds through byte for byte (issue 21): what incidents
writes well-formed stays well-formed on the public origin, whatever characters it holds."""
from polystatus.fuzzing import strict_feed

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
