"""The reference endpoints every benchmark compares against: a bare Flask hello, and a bare
Flask endpoint doing one Redis INCR (for the write paths)."""
import os

import redis
from flask import Flask


def create_app():
    app = Flask(__name__)
    r = redis.Redis.from_url(os.environ["REDIS_URL"]) if os.environ.get("REDIS_URL") else None

    @app.get("/hello")
    def hello():
        return {"hello": "world"}

    @app.post("/incr")
    def incr():
        return {"count": r.incr("bench:incr")}, 202

    return app
