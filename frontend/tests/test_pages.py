"""The page shells and the headers that keep them safe."""
import pytest


@pytest.mark.parametrize("path", ["/", "/history", "/login", "/console", "/admin", "/components/api", "/incidents/abc"])
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


def test_an_id_in_the_url_is_escaped_in_the_page(client):
    html = client.get('/incidents/"><img src=x onerror=alert(1)>').get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img" in html or "&#34;&gt;&lt;img" in html


def test_the_static_files_are_served(client):
    for path in ("/static/js/app.js", "/static/css/status.css"):
        assert client.get(path).status_code == 200


def test_cors_allows_only_the_configured_origins(client):
    good = client.get("/api/page.json", headers={"Origin": "https://status.example.com"})
    assert good.headers.get("Access-Control-Allow-Origin") == "https://status.example.com"
    bad = client.get("/api/page.json", headers={"Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in bad.headers
