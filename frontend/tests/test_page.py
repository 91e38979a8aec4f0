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
    assert api["reports"]["state"] == "problems_detected"
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


def banners_of(client) -> list[str]:
    return [b["message"] for b in client.get("/api/page.json").get_json()["banners"]]


def eventually(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_it_refreshes_once_the_cache_is_old(app, client, backends):
    app.extensions["page_cache"].ttl = 0.05
    client.get("/api/page.json")
    backends.documents["/banners/active"] = {"banners": [{"id": "b2", "message": "All done", "level": "info"}]}
    time.sleep(0.1)
    # stale-while-revalidate: the old copy is answered at once, marked stale, and a refresh
    # starts behind it; its result is what the next visitors see
    stale = client.get("/api/page.json")
    assert stale.get_json()["banners"][0]["message"] == "Planned work tonight"
    assert stale.headers["Warning"] == '110 - "Response is Stale"'
    assert eventually(lambda: banners_of(client) == ["All done"])


def test_a_stale_copy_is_answered_at_once_while_the_backends_hang(app, client, backends):
    first = client.get("/api/page.json").get_json()
    app.extensions["page_cache"].ttl = 0.05
    time.sleep(0.1)
    backends.gate.clear()  # every backend now hangs (up to 5 s)
    try:
        started = time.monotonic()
        answers = [client.get("/api/page.json") for _ in range(5)]
        took = time.monotonic() - started
        refreshing = eventually(lambda: backends.hits["/api/v2/summary.json"] >= 2)
    finally:
        backends.gate.set()
    assert [a.status_code for a in answers] == [200] * 5
    assert all(a.get_json()["generated_at"] == first["generated_at"] for a in answers)
    assert took < 0.5, f"visitors waited {took:.2f} s for a refresh"
    assert refreshing, "no refresh started behind the stale copy"
    assert backends.hits["/api/v2/summary.json"] == 2, "the refresh was not single-flight"


def test_the_page_answers_from_its_own_copy_while_its_redis_hangs(config, backends):
    """A frozen Redis (connections accepted, never answered) costs a visitor nothing once a
    copy is in hand: the in-process copy is looked at first."""
    import socket

    from frontend.app import create_app

    frozen = socket.socket()
    frozen.bind(("127.0.0.1", 0))
    frozen.listen(64)  # the kernel accepts connections; nobody ever reads or answers
    try:
        app = create_app({**config, "REDIS_URL": f"redis://127.0.0.1:{frozen.getsockname()[1]}/6",
                          "REDIS_TIMEOUT": 0.5, "PAGE_CACHE_TTL": 0.05})
        client = app.test_client()
        started = time.monotonic()
        cold = client.get("/api/page.json")  # produced from the backends; storing it times out
        cold_s = time.monotonic() - started
        time.sleep(0.1)  # stale now
        started = time.monotonic()
        warm = [client.get(path) for path in ("/api/page.json", "/api/page.json", "/api/v2/summary.json")]
        warm_s = time.monotonic() - started
    finally:
        frozen.close()
    assert cold.status_code == 200 and cold_s < 3
    assert [w.status_code for w in warm] == [200, 200, 200]
    assert warm_s < 1.2, f"the page waited for its frozen Redis: {warm_s:.2f} s"


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
    client.get("/api/page.json")  # answered from the copy in hand; the refresh runs behind it
    assert eventually(lambda: client.get("/api/page.json").get_json()["missing"] == ["csp-status"])
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
