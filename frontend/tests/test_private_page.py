"""A private status page (PAGE_VISIBILITY): each mode lets in whom it should and no one else,
on the page, its API, feeds and badges; nothing private is marked shareable by a cache."""
import pytest
from frontend.app import create_app

SECRET = "cookie-secret-0123456789"
PASSWORD = "open sesame please"
GOOD_TOKEN = "psr_good-token-for-the-wallboard"
# What a visitor of the public page reads: the page, its API, feeds, a badge.
READS = {"page": "/", "component": "/components/web", "page.json": "/api/page.json",
         "statuspage": "/api/v2/summary.json", "rss": "/history.rss", "atom": "/history.atom",
         "badge": "/api/csp-status/checks/shop/badge.svg"}
MODES = {
    "signed_in": {},
    "domain": {"PAGE_ALLOWED_DOMAINS": ["corp.example"]},
    "ip": {"PAGE_ALLOWED_IPS": ["10.20.0.0/16"]},
    "password": {"PAGE_PASSWORD": PASSWORD},
}


@pytest.fixture()
def private(config, backends):
    backends.documents.update({
        "POST /auth/token": {"access_token": "service-token", "expires_in": 600},
        "POST /page-tokens/check": lambda body: (204, "") if GOOD_TOKEN.encode() in body else None,
        "/checks/shop/badge.svg": (200, "<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    })
    made = []

    def make(visibility, **extra):
        app = create_app({**config, "PAGE_VISIBILITY": visibility, "PAGE_COOKIE_SECRET": SECRET,
                          "PAGE_ALLOWED_DOMAINS": [], "PAGE_ALLOWED_IPS": [], "PAGE_PASSWORD": "",
                          "SERVICE_CLIENT_ID": "frontend", "SERVICE_CLIENT_SECRET": "frontend-secret-0123456789",
                          "TRUSTED_PROXIES": ["127.0.0.1"], **MODES.get(visibility, {}), **extra})
        made.append(app)
        return app.test_client()

    yield make
    for app in made:
        app.extensions["page_cache"].refresher.shutdown(wait=True)


def allowed_headers(mode, as_):
    return {"signed_in": as_("carol"), "domain": as_("dan", email="dan@corp.example"),
            "ip": {"X-Forwarded-For": "10.20.3.4"}, "password": {}}[mode]


def refused_headers(mode, as_):
    return {"signed_in": as_("mallory"), "domain": as_("carol"),
            "ip": {"X-Forwarded-For": "192.0.2.1"}, "password": as_("carol")}[mode]


def open_with_password(client):
    answer = client.post("/page-access", data={"password": PASSWORD, "next": "/"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


@pytest.mark.parametrize("what", READS)
@pytest.mark.parametrize("mode", MODES)
def test_each_mode_lets_its_visitors_read_everything_and_marks_it_private(private, as_, mode, what):
    client = private(mode)
    if mode == "password":
        open_with_password(client)
    answer = client.get(READS[what], headers=allowed_headers(mode, as_))
    assert answer.status_code == 200, (answer.status_code, answer.get_data(as_text=True)[:300])
    assert answer.headers["Cache-Control"] == "private, no-store"
    assert answer.headers["X-Accel-Expires"] == "0"


@pytest.mark.parametrize("what", READS)
@pytest.mark.parametrize("mode", MODES)
def test_each_mode_refuses_everyone_else(private, as_, mode, what, backends):
    client = private(mode)
    before = dict(backends.hits)
    answer = client.get(READS[what], headers=refused_headers(mode, as_))
    if what in ("page", "component"):
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/page-access?next=/")
    else:
        assert answer.status_code == 401 and answer.json["error"]["code"] == "page_private"
    assert answer.headers["Cache-Control"] == "private, no-store"
    assert "Example Corp" not in answer.get_data(as_text=True)
    # refused before any backend (or the frontend's cache filled from them) was asked
    assert {k: v for k, v in backends.hits.items() if k not in ("/auth/token", "/page-tokens/check")} == \
        {k: v for k, v in before.items() if k not in ("/auth/token", "/page-tokens/check")}


@pytest.mark.parametrize("mode", MODES)
def test_a_read_token_opens_feeds_badges_and_the_api_but_not_the_pages(private, mode):
    client = private(mode)
    for what in ("page.json", "statuspage", "rss", "atom", "badge"):
        assert client.get(READS[what] + f"?token={GOOD_TOKEN}").status_code == 200, what
        assert client.get(READS[what] + "?token=psr_revoked-or-made-up").status_code == 401, what
    assert client.get(f"/?token={GOOD_TOKEN}").status_code == 303


def test_staff_see_a_private_page_in_every_mode(private, as_):
    for mode in MODES:
        assert private(mode).get("/api/page.json", headers=as_("bob")).status_code == 200, mode


def test_the_cached_page_is_not_handed_to_a_refused_visitor_once_an_allowed_one_filled_the_cache(private, as_):
    client = private("signed_in")
    assert client.get("/", headers=as_("carol")).status_code == 200
    refused = client.get("/")
    assert refused.status_code == 303 and b"Example Corp" not in refused.data
    etag = client.get("/api/page.json", headers=as_("carol")).headers["ETag"]
    assert client.get("/api/page.json", headers={"If-None-Match": etag}).status_code == 401


def test_a_wrong_password_goes_back_to_the_form_and_tries_are_limited(private):
    client = private("password", PAGE_PASSWORD_TRIES=3)
    wrong = client.post("/page-access", data={"password": "guess", "next": "/history"})
    assert wrong.status_code == 303 and "wrong=1" in wrong.headers["Location"]
    assert client.get("/").status_code == 303
    client.post("/page-access", data={"password": "guess"})
    client.post("/page-access", data={"password": "guess"})
    assert client.post("/page-access", data={"password": PASSWORD}).status_code == 429


def test_a_password_cookie_ends_when_the_password_changes(private, config):
    client = private("password")
    open_with_password(client)
    assert client.get("/api/page.json").status_code == 200
    cookie = client.get_cookie("polystatus_page").value
    other = private("password", PAGE_PASSWORD="a different password")
    other.set_cookie("polystatus_page", cookie)
    assert other.get("/api/page.json").status_code == 401


def test_signing_in_gives_the_browser_a_cookie_for_a_page_for_signed_in_people(private, as_):
    client = private("domain")
    assert client.post("/page-access/session", headers=as_("carol")).status_code == 204
    assert client.get("/").status_code == 303  # carol's domain is not the organisation's
    client = private("domain")
    assert client.post("/page-access/session", headers=as_("dan", email="dan@corp.example")).status_code == 204
    assert client.get("/").status_code == 200
    assert client.delete("/page-access/session").status_code == 204
    assert client.get("/").status_code == 303


def test_the_door_page_shows_the_form_in_both_languages_and_sign_in_and_ip_pages(private):
    client = private("password")
    page = client.get("/page-access?next=/history")
    assert page.status_code == 200 and b'name="password"' in page.data and b'value="/history"' in page.data
    assert "Mot de passe de la page" in client.get("/page-access", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert b"/login?next=" in private("signed_in").get("/page-access").data
    assert private("ip").get("/page-access").status_code == 403


def test_a_public_page_stays_shareable_by_caches(private):
    answer = private("public").get("/api/page.json")
    assert answer.status_code == 200 and answer.headers["Cache-Control"].startswith("public")


def test_sign_in_and_static_files_stay_open_on_a_private_page(private):
    client = private("signed_in")
    assert client.get("/login").status_code == 200
    assert client.get("/static/js/app.js").status_code == 200


@pytest.mark.parametrize(("environ", "named"), [
    ({"PAGE_VISIBILITY": "secret"}, "PAGE_VISIBILITY"),
    ({"PAGE_VISIBILITY": "domain", "PAGE_COOKIE_SECRET": SECRET}, "PAGE_ALLOWED_DOMAINS"),
    ({"PAGE_VISIBILITY": "ip", "PAGE_ALLOWED_IPS": "10.0.0.0/33"}, "PAGE_ALLOWED_IPS"),
    ({"PAGE_VISIBILITY": "password", "PAGE_PASSWORD": "short", "PAGE_COOKIE_SECRET": SECRET}, "PAGE_PASSWORD"),
    ({"PAGE_VISIBILITY": "signed_in"}, "PAGE_COOKIE_SECRET"),
])
def test_a_private_page_that_is_not_fully_configured_stops_the_start_naming_the_setting(environ, named):
    from polystatus.settings import SettingsError

    from frontend import settings

    with pytest.raises(SettingsError, match=named):
        settings.load(environ)


def test_an_ip_page_needs_no_cookie_secret_and_reads_its_networks():
    from frontend import settings

    loaded = settings.load({"PAGE_VISIBILITY": "IP", "PAGE_ALLOWED_IPS": "10.0.0.0/8, 2001:db8::/32"})
    assert (loaded["PAGE_VISIBILITY"], loaded["PAGE_ALLOWED_IPS"]) == ("ip", ["10.0.0.0/8", "2001:db8::/32"])


def test_the_door_of_a_public_page_leads_straight_to_it(private):
    answer = private("public").get("/page-access?next=/history")
    assert answer.status_code == 303 and answer.headers["Location"] == "/history"


def test_a_refused_page_sends_the_visitor_to_the_door_and_back_without_echoing_a_token(private):
    client = private("password")
    answer = client.get("/history?component=api&token=psr_secret-looking")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/page-access?next=/history%3Fcomponent%3Dapi"
    opened = client.post("/page-access", data={"password": PASSWORD, "next": "/history?component=api"})
    assert opened.headers["Location"] == "/history?component=api"


def test_the_frontend_asks_for_a_private_pages_documents_with_its_service_token(private, backends, as_):
    client = private("signed_in")
    backends.seen_headers.clear()
    for path in ("/api/page.json", "/api/v2/summary.json", "/history.rss", "/api/csp-status/checks/shop/badge.svg"):
        assert client.get(path, headers=as_("carol")).status_code == 200, path
    authorizations = {h.get("Authorization") for h in backends.seen_headers}
    assert "Bearer service-token" in authorizations


def test_a_public_page_asks_its_backends_without_a_token(private, backends):
    client = private("public")
    backends.seen_headers.clear()
    assert client.get("/api/v2/summary.json").status_code == 200
    assert all("Authorization" not in h for h in backends.seen_headers)
