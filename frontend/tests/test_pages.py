"""The page shells and the headers that keep them safe."""
import pytest


@pytest.mark.parametrize("path", ["/", "/history", "/login", "/console", "/admin", "/components/api", "/incidents/inc1"])
def test_every_page_is_served_with_a_strict_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    policy = response.headers["Content-Security-Policy"]
    script = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in script and "unsafe-eval" not in script
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_page_has_no_inline_script(client):
    html = client.get("/").get_data(as_text=True)
    assert "<script>" not in html and "onload=" not in html
    assert 'type="module"' in html


def test_an_unknown_id_in_the_url_gets_a_page_saying_so_and_is_never_echoed_as_markup(client):
    response = client.get('/incidents/"><img src=x onerror=alert(1)>')
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "No such incident" in html
    assert "<img src=x" not in html


def test_the_static_files_are_served(client):
    for path in ("/static/js/app.js", "/static/css/status.css"):
        assert client.get(path).status_code == 200


def test_cors_allows_only_the_configured_origins(client):
    good = client.get("/api/page.json", headers={"Origin": "https://status.example.com"})
    assert good.headers.get("Access-Control-Allow-Origin") == "https://status.example.com"
    bad = client.get("/api/page.json", headers={"Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in bad.headers


def test_every_dictionary_has_the_same_keys_in_english_and_french():
    import glob
    import json
    import os

    from frontend.page import language

    files = glob.glob(os.path.join(language.FOLDER, "*.json"))
    assert {"common.json", "public.json"} <= {os.path.basename(f) for f in files}
    for path in files:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
        missing = set(doc["en"]) ^ set(doc["fr"])
        assert not missing, f"{os.path.basename(path)}: {sorted(missing)} only in one language"


def test_the_page_is_in_the_language_of_the_cookie_else_of_the_browser(client):
    assert '<html lang="fr">' in client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "de, en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Historique" not in english
    switched = client.get("/lang/fr?next=/history?page=2")
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/history?page=2")
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in html and ">Historique<" in html


def test_the_language_switch_never_sends_the_visitor_to_another_site(client):
    for target in ("//evil.example", "https://evil.example", "/\\evil.example"):
        assert client.get(f"/lang/en?next={target}").headers["Location"].endswith("/")


def test_the_markdown_preview_is_the_public_pages_sanitised_rendering(client):
    text = "## Cause\n\nA **disk** filled up. <script>alert(1)</script> [more](javascript:alert(1))"
    answer = client.post("/preview/markdown", json={"text": text})
    assert answer.status_code == 200
    html = answer.json["html"]
    assert "<h3>Cause</h3>" in html and "<strong>disk</strong>" in html
    assert "<script>" not in html and "href=" not in html and "&lt;script&gt;" in html
    assert client.post("/preview/markdown", json={"text": "x" * 50001}).status_code == 422


def test_an_unknown_address_is_a_page_saying_so_for_a_browser_and_json_for_a_program(client):
    client.set_cookie("lang", "fr")
    opened = client.get("/no-such-page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert opened.status_code == 404 and opened.mimetype == "text/html"
    assert "Page introuvable" in opened.get_data(as_text=True) and '<html lang="fr">' in opened.get_data(as_text=True)
    fetched = client.get("/no-such-page", headers={"Accept": "*/*"})
    assert fetched.status_code == 404 and fetched.json["error"]["code"] == "not_found"
    assert client.get("/api/no-such-service/x", headers={"Accept": "text/html"}).mimetype == "application/json"
