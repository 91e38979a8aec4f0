"""Structured JSON logs carrying the request id, and the request id itself.

A log line often quotes text a person typed (a channel name, a subject): the JSON formatter
cleans it so the line stays strict JSON (no unpaired surrogate), and the text formatter writes
control characters and line breaks as escapes, so a message can never start a forged line nor
send a terminal an escape sequence; a record's own further lines (a traceback) are indented.

A request id arrives in ``X-Request-ID`` (from the frontend or another service) or is made
here; it is echoed in the response, written in every log line of the request, and passed on by
:mod:`polystatus.outbound` so one user action can be followed across services.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

from .text import clean, visible

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class JSONFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": clean(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is None and has_request_context():
            request_id = g.get("request_id")
        if request_id:
            entry["request_id"] = request_id
        for key, value in getattr(record, "fields", {}).items():
            entry[key] = clean(value)
        if record.exc_info:
            entry["exc"] = clean(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = f"{record.levelname:<7} {record.name}: {visible(record.getMessage())}"
        fields = getattr(record, "fields", None)
        if fields:
            base += " " + " ".join(f"{visible(str(k))}={visible(str(v))}" for k, v in fields.items())
        if record.exc_info:
            base += "".join(f"\n  {visible(line)}" for line in self.formatException(record.exc_info).splitlines())
        return base


def configure(service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Configure the root logger once per process (app factory, worker or CLI)."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter(service) if fmt == "json" else TextFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)
    # werkzeug's own access log would duplicate ours in a different format.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # httpx logs every request at INFO; our outbound calls log what matters themselves (a poll
    # result, a delivery), and a worker polling every few seconds would drown everything else.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def request_id_from(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is safe to log and echo, else a new one."""
    return incoming if incoming and _SAFE_ID.fullmatch(incoming) else uuid.uuid4().hex


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def init_app(app: Flask, service: str) -> None:
    access = logging.getLogger(f"{service}.access")

    @app.before_request
    def _assign_request_id():
        g.request_id = request_id_from(request.headers.get("X-Request-ID", ""))
        g.started_at = time.perf_counter()

    @app.after_request
    def _log_and_echo(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        if app.config.get("ACCESS_LOG", True) and request.path not in ("/healthz", "/readyz", "/metrics"):
            elapsed = (time.perf_counter() - g.get("started_at", time.perf_counter())) * 1000
            access.info(
                "%s %s %s", request.method, request.path, response.status_code,
                extra={"fields": {"status": response.status_code, "ms": round(elapsed, 2)}},
            )
        return response
