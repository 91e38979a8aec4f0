"""The reference endpoint every benchmark compares against: a bare Flask hello."""
from flask import Flask


def create_app():
    app = Flask(__name__)

    @app.get("/hello")
    def hello():
        return {"hello": "world"}

    return app
