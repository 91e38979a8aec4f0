import pytest

TEMPLATE = {"name": "Payments down", "title": "Payments are failing", "body": "We are looking into failed payments.",
            "update_status": "investigating", "components": {"api": "partial_outage"}}


def create(client, as_, **overrides):
    response = client.post("/incident-templates", json={**TEMPLATE, **overrides}, headers=as_("bob"))
    assert response.status_code == 201, response.json
    return response.json


def test_staff_keep_templates_listed_by_name(client, as_, components):
    create(client, as_, name="zebra outage")
    create(client, as_, name="API slow")
    names = [t["name"] for t in client.get("/incident-templates", headers=as_("bob")).json["templates"]]
    assert names == ["API slow", "zebra outage"]


def test_a_template_is_changed_and_deleted(client, as_, components, clock):
    template = create(client, as_)
    clock.advance(minutes=5)
    changed = client.patch(f"/incident-templates/{template['id']}", json={"body": "Payments fail for some cards."},
                           headers=as_("bob"))
    assert changed.status_code == 200 and changed.json["body"] == "Payments fail for some cards."
    assert changed.json["updated_at"] == "2026-03-02T12:05:00.000Z" and changed.json["title"] == TEMPLATE["title"]
    assert client.delete(f"/incident-templates/{template['id']}", headers=as_("bob")).status_code == 204
    assert client.get(f"/incident-templates/{template['id']}", headers=as_("bob")).status_code == 404
    assert client.get("/incident-templates", headers=as_("bob")).json["templates"] == []


def test_a_template_with_unknown_components_or_a_bad_status_is_refused(client, as_, components):
    bad = client.post("/incident-templates", json={**TEMPLATE, "components": {"nope": "major_outage"}}, headers=as_("bob"))
    assert bad.status_code == 422 and bad.json["error"]["details"] == {"components": ["nope"]}
    assert client.post("/incident-templates", json={**TEMPLATE, "update_status": "resolved"},
                       headers=as_("bob")).status_code == 422
    assert client.get("/incident-templates", headers=as_("bob")).json["templates"] == []


@pytest.mark.parametrize("who,expected", [(None, 401), ("carol", 403), ("bob", 200)])
def test_templates_are_for_staff(client, as_, components, who, expected):
    assert client.get("/incident-templates", headers=as_(who)).status_code == expected
