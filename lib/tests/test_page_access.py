"""polystatus.page_access: a private page's documents on a service's own port need a token and
are never marked shareable."""
import pytest
from polystatus import page_access
from polystatus.app_factory import create_service_app


def build(config, visibility):
    app = create_service_app(__name__, service="demo", title="Demo", description="page access",
                             settings={}, config={**config, "PAGE_VISIBILITY": visibility})

    @app.get("/api/v2/summary.json")
    def summary():
        return {"status": "ok"}, 200, {"Cache-Control": "public, max-age=5"}

    @app.get("/components")
    def components():
        return {"components": []}

    page_access.init_app(app, paths=r"/api/v2/")
    return app


@pytest.mark.parametrize("visibility", ["signed_in", "domain", "ip", "password"])
def test_a_private_pages_documents_need_a_token_and_are_private_to_caches(base_config, as_, visibility):
    client = build(base_config, visibility).test_client()
    refused = client.get("/api/v2/summary.json")
    assert refused.status_code == 401 and refused.json["error"]["code"] == "page_private"
    assert refused.headers["Cache-Control"] == "private, no-store"
    for who in ("svc", "carol"):
        answer = client.get("/api/v2/summary.json", headers=as_(who))
        assert answer.status_code == 200
        assert (answer.headers["Cache-Control"], answer.headers["X-Accel-Expires"]) == ("private, no-store", "0")
    assert client.get("/api/v2/summary.json", headers=as_("mallory")).status_code == 401
    assert client.get("/components").status_code == 200  # what the pattern does not name is untouched


def test_a_public_pages_documents_stay_open_and_shareable(base_config):
    answer = build(base_config, "public").test_client().get("/api/v2/summary.json")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "public, max-age=5"
