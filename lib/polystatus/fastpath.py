"""The few hottest routes, answered in front of Flask.

Why: a visitor during an outage reports a problem and reloads the page; an SDK evaluates a flag
on every page view. For such tiny requests our Flask stack (request context, routing,
APIFlask's decorators, the hooks for request ids, metrics, access log, CORS, roles and security
headers) costs about two thirds of the time (bench/: 0.35 of a bare Flask hello). A fast route
is a plain function of a ``FastRequest`` that answers ``(status, headers, body)``, or ``None``
to hand the request to Flask untouched, which then answers as always (every error included).
The middleware does for a fast answer what the hooks do for every other one: the request id,
the metrics under the same route label, the access log, the security headers.

The trade-off: two transports for a handful of routes. Both call the same domain function, so
the rules live once; what differs is only how the request is read and the answer written, and
each service's tests run the same requests through both (``FASTPATHS=False`` turns the fast
transport off). A request with an ``Origin`` header (CORS) always goes through Flask.
"""
from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus

from .errors import ServiceError
from .errors import body as error_body
from .logs import request_id_from

log = logging.getLogger("polystatus.fastpath")
Answer = tuple[int, list[tuple[str, str]], bytes]
MAX_BODY = 64 * 1024  # anything bigger is for Flask (and its 413)
_REASONS = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


class FastRequest:
    __slots__ = ("environ", "_body", "request_id")

    def __init__(self, environ: dict):
        self.environ = environ
        self._body: bytes | None = None
        self.request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))

    @property
    def path(self) -> str:
        return self.environ.get("PATH_INFO", "")

    @property
    def remote_addr(self) -> str | None:
        return self.environ.get("REMOTE_ADDR")

    def header(self, name: str) -> str | None:
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"))

    @property
    def content_type(self) -> str:
        return self.environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()

    def body(self) -> bytes | None:
        """The raw body, or None when it is too big for a fast answer."""
        if self._body is None:
            if not self.environ.get("CONTENT_LENGTH") and self.environ.get("HTTP_TRANSFER_ENCODING"):
                return None  # chunked: Flask's side reads it, within the size limit
            try:
                length = int(self.environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return None
            if length > MAX_BODY:
                return None
            self._body = self.environ["wsgi.input"].read(length) if length else b""
        return self._body

    def json(self):
        """The parsed JSON body, or None (missing, malformed, too big: Flask will say which)."""
        if self.content_type != "application/json":
            return None
        raw = self.body()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None

    def rewind(self) -> None:
        """Give Flask the body we read, as if nobody had."""
        if self._body is not None:
            self.environ["wsgi.input"] = io.BytesIO(self._body)

    # --- answers ----------------------------------------------------------------------------
    def json_answer(self, status: int, value, headers: dict | None = None) -> Answer:
        return status, [("Content-Type", "application/json"), *(headers or {}).items()], \
            json.dumps(value, separators=(",", ":")).encode()

    def error(self, exc: ServiceError) -> Answer:
        """The one error shape, as errors.init_app writes it for Flask."""
        value = error_body(exc.status, exc.message, code=exc.code, details=exc.details)
        value["request_id"] = self.request_id
        return self.json_answer(exc.status, value, {k: str(v) for k, v in exc.headers.items()})


Handler = Callable[[FastRequest], Answer | None]


class FastPaths:
    """WSGI middleware: ``install(app)`` puts it in front of ``app.wsgi_app``."""

    def __init__(self, app, headers: list[tuple[str, str]]):
        self.next = app.wsgi_app
        self.service = app.config["SERVICE_NAME"]
        self.metrics = app.extensions["metrics"]
        self.access = logging.getLogger(f"{self.service}.access")
        self.access_log = app.config.get("ACCESS_LOG", True)
        self.headers = headers
        self.exact: dict[tuple[str, str], tuple[str, Handler]] = {}
        self.prefixes: list[tuple[str, str, str, Handler]] = []
        self.answered = 0  # fast answers given (tests use it to know which transport answered)

    def add(self, method: str, path: str, handler: Handler, *, label: str | None = None, prefix: bool = False) -> None:
        """``label``: the Flask rule the route is counted under in /metrics."""
        if prefix:
            self.prefixes.append((method, path, label or path, handler))
        else:
            self.exact[(method, path)] = (label or path, handler)

    def _find(self, method: str, path: str):
        found = self.exact.get((method, path))
        if found is None:
            for want, prefix, label, handler in self.prefixes:
                if method == want and path.startswith(prefix):
                    return label, handler
        return found

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        found = self._find(method, environ.get("PATH_INFO", ""))
        if found is None or "HTTP_ORIGIN" in environ:
            return self.next(environ, start_response)
        started = time.perf_counter()
        label, handler = found
        request = FastRequest(environ)
        try:
            answer = handler(request)
        except Exception:  # noqa: BLE001 — Flask answers it again, with its full error handling
            log.debug("fast path for %s %s failed; handing it to Flask", method, label, exc_info=True)
            answer = None
        if answer is None:
            request.rewind()
            return self.next(environ, start_response)
        status, headers, body = answer
        self.answered += 1
        headers = [*headers, *self.headers, ("X-Request-ID", request.request_id), ("Content-Length", str(len(body)))]
        elapsed = time.perf_counter() - started
        self.metrics.observe(method, label, status, elapsed)
        if self.access_log and self.access.isEnabledFor(logging.INFO):
            self.access.info("%s %s %s", method, environ.get("PATH_INFO", ""), status,
                             extra={"fields": {"status": status, "ms": round(elapsed * 1000, 2), "fast": True}})
        start_response(_REASONS.get(status, f"{status} Unknown"), headers)
        return [body]


def install(app, *, extra_headers: dict | None = None) -> FastPaths | None:
    """Put the fast transport in front of ``app`` (unless ``FASTPATHS`` is false); returns it
    so the service can add its routes, or None when it is off."""
    if not app.config.get("FASTPATHS", True):
        return None
    from .app_factory import API_CSP, SECURITY_HEADERS

    headers = list(SECURITY_HEADERS.items())
    if not app.config.get("SERVES_PAGES"):
        headers.append(("Content-Security-Policy", API_CSP))
    headers += list((extra_headers or {}).items())
    fast = FastPaths(app, headers)
    app.wsgi_app = fast
    return fast
