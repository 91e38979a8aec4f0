"""The public pages as the server renders them (what a visitor without JavaScript, or an edge
cache, gets), against the loopback stand-ins of the services."""
from frontend.page import charts, richtext, service


def test_the_status_page_is_readable_without_javascript(client):
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">Website</a>" in html and ">API</a>" in html
    assert "Partial outage" in html and "Planned work tonight" in html
    # overall status first, then banners, then components
    assert html.index('class="overall') < html.index('id="banners"') < html.index('id="components-title"')


def test_the_status_page_is_in_french_for_a_french_browser(client):
    html = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in html and "Panne partielle" in html and ">Composants<" in html


def test_a_component_page_shows_the_components_own_status_and_labels_what_users_report(client):
    html = client.get("/components/api", headers={"Accept-Language": "en"}).get_data(as_text=True)
    title = html[html.index('class="title-row"'):html.index("</div>", html.index('class="title-row"'))]
    assert "Partial outage" in title and "Problems detected" not in title
    assert "What users report:" in html and "Problems detected" in html
    assert 'class="axis-title"' in html and "Reports per 5 min" in html and "Last 24 hours" in html


def test_an_unknown_component_gets_a_404_page(client):
    response = client.get("/components/nope")
    assert response.status_code == 404 and "No such component" in response.get_data(as_text=True)


def test_an_incident_page_shows_impact_duration_affected_components_and_markdown(client):
    html = client.get("/incidents/inc1", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Major impact" in html and "2 hr 30 min" in html
    assert 'class="affected" href="/components/api">API</a>' in html
    assert "<h3>What happened</h3>" in html and "<strong>full disk</strong>" in html and "<em>slow</em>" in html


def test_markdown_is_rendered_by_a_parser_and_cleaned_by_a_sanitiser():
    html = str(richtext.render('**ok** <script>alert(1)</script> <img src=x onerror=alert(1)> '
                               '[a](javascript:alert(1)) [b](https://example.com "t")\n\n# Big'))
    assert "<strong>ok</strong>" in html
    assert "<script>" not in html and "<img" not in html and 'href="javascript' not in html
    assert '<a href="https://example.com" title="t" rel="noopener noreferrer nofollow">b</a>' in html
    assert "<h3>Big</h3>" in html  # below the page's own headings


def test_the_history_query_is_made_safe_and_kept_in_its_links():
    filters = service.history_filters({"page": "0", "component": "evil", "month": "2026-12", "q": "  slow   api " + "x" * 200},
                                      ["api", "web"])
    assert filters["page"] == 1 and filters["component"] == ""
    assert (filters["since"], filters["until"]) == ("2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")
    assert len(filters["q"]) == 100 and filters["q"].startswith("slow api ")
    assert service.history_filters({"month": "2026-13"}, [])["month"] == ""
    link = service.history_link({**filters, "q": "slow", "component": "api"}, page=2)
    assert link == "/history?q=slow&component=api&month=2026-12&page=2"


def test_the_history_page_lists_the_backends_answer_with_pages_in_the_url(client):
    html = client.get("/history?q=slow&page=1", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">Slow API</a>" in html and "1 incident" in html and 'value="slow"' in html


def test_a_report_form_from_another_site_is_refused_and_never_reaches_incidents(client, backends):
    backends.documents["POST /reports"] = (202, {"accepted": True})
    refused = client.post("/report", data={"component_id": "api", "problem_type": "login"},
                          headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 303 and refused.headers["Location"] == "/"
    assert backends.hits.get("/reports") is None
    accepted = client.post("/report", data={"component_id": "api", "problem_type": "login"},
                           headers={"Sec-Fetch-Site": "same-origin", "Origin": "null"})
    assert accepted.headers["Location"] == "/components/api?reported=thanks#report"
    assert backends.hits["/reports"] == 1
    html = client.get("/components/api?reported=thanks", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Merci ! Votre signalement est pris en compte" in html


def test_a_report_refused_by_the_rate_limit_says_to_wait(client, backends):
    backends.documents["POST /reports"] = (429, {"error": {"status": 429, "code": "rate_limited", "message": "Slow down."}})
    answer = client.post("/report", data={"component_id": "api", "problem_type": "login"})
    assert answer.headers["Location"] == "/components/api?reported=limited#report"


def test_chart_axes_get_round_ticks_and_a_phone_chart_fewer_labels():
    assert charts.nice_ceiling(7) == (8, 2) and charts.nice_ceiling(130) == (150, 50)
    buckets = [{"count": n % 3, "baseline": 1.0} for n in range(288)]
    wide, narrow = charts.reports(buckets), charts.reports(buckets, width=charts.NARROW)
    assert [t["value"] for t in wide["y_ticks"]] == [0, 1, 2, 3, 4]
    assert len(wide["x_ticks"]) == 5 and len(narrow["x_ticks"]) == 3
    assert all(bar["x"] + bar["width"] <= narrow["right"] + 1 for bar in narrow["bars"])


def test_the_status_page_is_rendered_once_per_copy_and_language_and_revalidates_with_its_etag(client, backends):
    first = client.get("/", headers={"Accept-Language": "en"})
    hits = dict(backends.hits)
    again = client.get("/", headers={"Accept-Language": "en"})
    assert again.get_data() == first.get_data() and backends.hits == hits
    assert client.get("/", headers={"Accept-Language": "en", "If-None-Match": first.headers["ETag"]}).status_code == 304
    french = client.get("/", headers={"Accept-Language": "fr"})
    assert french.headers["ETag"] != first.headers["ETag"] and "Composants" in french.get_data(as_text=True)
    assert "Accept-Language" in first.headers["Vary"] and "Cookie" in first.headers["Vary"]


def test_the_cached_status_page_is_served_in_the_visitors_language(app, client):
    for headers in ({"Accept-Language": "fr-CA, en;q=0.5"}, {"Cookie": "lang=en", "Accept-Language": "fr"}):
        cold = client.get("/", headers=headers)  # rendered once for this copy and language
        warm = client.get("/", headers=headers)
        assert warm.get_data() == cold.get_data() and warm.headers["ETag"] == cold.headers["ETag"]
        # An edge in front keeps one copy per language
        assert warm.headers["Vary"] == "Cookie, Accept-Language"
    assert 'lang="fr"' in client.get("/", headers={"Accept-Language": "fr-CA"}).get_data(as_text=True)
    assert 'lang="en"' in client.get("/", headers={"Cookie": "lang=en", "Accept-Language": "fr"}).get_data(as_text=True)


def test_the_status_page_carries_a_hidden_notice_for_when_its_copy_is_out_of_date(client):
    """The edge may serve this HTML long after it was made: public.js shows the notice when the
    copy is older than outdated_after by the server's clock (e2e/test_ha.py watches it appear)."""
    import re

    html = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    notice = re.search(r'<p class="outdated"[^>]*>', html).group(0)
    assert "hidden" in notice and 'data-outdated-after="60.0"' in notice
    assert re.search(r'data-generated-at="\d{4}-\d\d-\d\dT[^"]+Z"', notice)
    assert "Cette page n’est peut-être plus à jour" in html
