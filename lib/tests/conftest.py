import pytest
from apiflask import APIFlask, Schema
from apiflask.fields import Integer, String
from polystatus.app_factory import create_service_app
from polystatus.auth import require_role
from polystatus.errors import Conflict


class ThingOut(Schema):
    name = String()


class ThingIn(Schema):
    name = String(required=True)
    size = Integer(required=False)


def build(config) -> APIFlask:
    """A minimal service: the same factory every real service uses, with a few routes."""
    app = create_service_app(__name__, service="demo", title="Demo", description="test service",
                             settings={"CORS_ORIGINS": ["http://allowed.example"]}, config=config)

    @app.post("/things")
    @app.input(ThingIn)
    @app.output(ThingOut, status_code=201)
    @app.doc(responses={409: "The name is taken"})
    @require_role("staff")
    def create_thing(json_data):
        if json_data["name"] == "taken":
            raise Conflict("That name is taken.")
        return {"name": json_data["name"]}

    @app.get("/boom")
    @app.doc(hide=True)
    def boom():
        raise RuntimeError("kaboom")

    return app


@pytest.fixture()
def app(base_config):
    return build(base_config)


@pytest.fixture()
def client(app):
    return app.test_client()
