"""The aggregated page document, its cache, and what happens when a backend is down."""
import threading
import time


def test_it_assembles_the_page_from_every_backend(client):
    response = client.get("/api/page.json")
    assert response.status_code == 200
    page = response.get_json()
    assert page["page"]["name"] == "Example Corp"
    assert [c["id"] for c in page["components"]] == ["web", "api"]
    api = page["components"][1]
    assert api["uptime_pct"] == 97.5 and api["uptime"][0]["worst"] == "partial_outage"
    # only the three most reported problem types travel to the browser
    assert api["reports"]["state"] == "problems"
    assert [p["type"] for p in api["reports"]["top_problems"]] == ["login", "slow", "errors"]
    assert page["providers"][0]["id"] == "github"
    assert page["banners"][0]["message"] == "Planned work tonight"
    # a flag the server could not evaluate is left out rather than guessed
    assert page["flags"] == {"show-reports": True}
    assert page["missing"] == []


def test_it_serves_a_second_visitor_from_cache_without_touching_the_backends(client, backends):
    client.get("/api/page.json")
    before = dict(backends.hits)
    for _ in range(20):
        assert client.get("/api/page.json").status_code == 200
    assert backends.hits == before


def test_it_answers_304_to_a_browser_that_has_the_current_version(client):
    first = client.get("/api/page.json")
    etag = first.headers["ETag"]
    assert "max-age=5" in first.headers["Cache-Control"]
    assert "stale-while-revalidate" in first.headers["Cache-Control"]
    again = client.get("/api/page.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_it_refreshes_once_the_cache_is_old(app, client, backends):
    app.extensions["page_cache"].ttl = 0.05
    client.get("/api/page.json")
    backends.documents["/banners/active"] = {"banners": [{"id": "b2", "message": "All done", "level": "info"}]}
    time.sleep(0.1)
    # stale-while-revalidate: a refresh happens, and its result is what the next visitor sees
    client.get("/api/page.json")
    assert client.get("/api/page.json").get_json()["banners"][0]["message"] == "All done"


def test_a_spike_of_visitors_on_a_cold_cache_reaches_the_backends_once(app, backends):
    backends.gate.clear()  # hold the backends so every visitor arrives while the first is waiting
    results = []

    def visit():
        with app.test_client() as c:
            results.append(c.get("/api/page.json").status_code)

    visitors = [threading.Thread(target=visit) for _ in range(12)]
    for v in visitors:
        v.start()
    time.sleep(0.3)
    backends.gate.set()
    for v in visitors:
        v.join(10)
    assert results == [200] * 12
    assert backends.hits["/api/v2/summary.json"] == 1


def test_the_page_still_renders_what_it_has_when_a_backend_is_down_and_says_what_is_missing(app, client, backends):
    first = client.get("/api/page.json").get_json()
    assert first["providers"]
    backends.down.add("csp-status")
    backends.documents["/banners/active"] = {"banners": []}
    app.extensions["page_cache"].ttl = 0
    page = client.get("/api/page.json").get_json()
    assert page["missing"] == ["csp-status"]
    # the last known providers are kept, the live backends' answers are fresh
    assert page["providers"] == first["providers"]
    assert page["banners"] == []


def test_a_cold_page_with_a_backend_down_says_so_and_shows_the_rest(client, backends):
    backends.down.add("incidents")
    response = client.get("/api/page.json")
    assert response.status_code == 200
    page = response.get_json()
    assert page["missing"] == ["incidents"]
    assert page["components"] == []
    assert page["providers"][0]["id"] == "github"


def test_replicas_share_the_cache_through_redis(config, backends):
    from frontend.app import create_app

    one, two = create_app(config), create_app(config)
    one.test_client().get("/api/page.json")
    before = backends.hits["/api/v2/summary.json"]
    assert two.test_client().get("/api/page.json").status_code == 200
    assert backends.hits["/api/v2/summary.json"] == before


def test_a_fresh_cached_copy_gets_the_same_answer_on_the_fast_transport_as_through_flask(app, client, backends):
    from polystatus.testing import comparable

    fast = app.wsgi_app
    through_flask = {"Origin": "https://elsewhere.example"}  # CORS requests always go through Flask
    for path in ("/api/page.json", "/api/v2/summary.json"):
        cold = client.get(path)
        assert cold.status_code == 200 and fast.answered == 0  # a miss is Flask's: it fills the cache
        warm, reference = client.get(path), client.get(path, headers=through_flask)
        assert fast.answered == 1 and comparable(warm) == comparable(reference)
        etag = {"If-None-Match": warm.headers["ETag"]}
        revalidated, reference = client.get(path, headers=etag), client.get(path, headers={**etag, **through_flask})
        assert revalidated.status_code == 304 and comparable(revalidated) == comparable(reference)
        assert fast.answered == 2 and revalidated.headers["X-Request-ID"]
        fast.answered = 0
    # An expired copy is Flask's again, which refreshes it from the backends.
    hits = dict(backends.hits)
    app.extensions["page_cache"].ttl = 0.05
    time.sleep(0.1)
    assert client.get("/api/page.json").status_code == 200 and fast.answered == 0 and backends.hits != hits
