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
import re
import time
from collections.abc import Callable
from http import HTTPStatus

from redis import RedisError

from . import text
from .errors import ServiceError, storage_unavailable, unavailable_answer
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
            text.dumps(value, separators=(",", ":")).encode()  # as Flask's answers (app_factory)

    def error(self, exc: ServiceError) -> Answer:
        """The one error shape, as error_handlers writes it for Flask."""
        value = error_body(exc.status, exc.message, code=exc.code, details=exc.details)
        value["request_id"] = self.request_id
        return self.json_answer(exc.status, value, {k: str(v) for k, v in exc.headers.items()})


Handler = Callable[[FastRequest], Answer | None]

# Who may call a fast route, said where it is registered (a write route cannot be registered
# without it): a fast route skips Flask's ``check_route_roles``, so the rule must be the route's
# own. A role-guarded Flask route (``require_role``) is never a fast route.
ACCESS = {
    "anyone": "anonymous, rate limited by address (the route's flow applies the limit)",
    "api-key": "an API key or a token, checked by the route's flow",
    "secret-url": "the URL is the credential (a heartbeat's id or its project's ping key)",
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class FastRoute:
    __slots__ = ("endpoint", "handler", "access", "writes", "headers")

    def __init__(self, endpoint: str, handler: Handler, access: str | None, writes: bool, headers: list):
        self.endpoint, self.handler, self.access, self.writes, self.headers = endpoint, handler, access, writes, headers


class FastPaths:
    """WSGI middleware: ``install(app)`` puts it in front of ``app.wsgi_app``.

    A fast route is one of the Flask app's own endpoints: its paths, methods and metric label
    are the Flask rules' (copied from ``app.url_map``), its security headers the app's header
    policy (``app_factory.header_policy``), so nothing is typed twice.
    """

    def __init__(self, app):
        from werkzeug.routing import Map

        self.app = app
        self.next = app.wsgi_app
        self.service = app.config["SERVICE_NAME"]
        self.metrics = app.extensions["metrics"]
        self.access = logging.getLogger(f"{self.service}.access")
        self.access_log = app.config.get("ACCESS_LOG", True)
        self.routes: dict[str, FastRoute] = {}
        self.map = Map(strict_slashes=app.url_map.strict_slashes, merge_slashes=False)
        self.adapter = self.map.bind("fast.invalid")
        self.starts: tuple[str, ...] = ()  # the static start of every fast rule: a cheap first filter
        # (regex, methods, rule) of each fast rule: werkzeug's matcher costs ~8 µs a request, a
        # regex ~0.5; a path two of them match, or a rule with another converter, asks werkzeug.
        self.patterns: list[tuple[re.Pattern, frozenset, object]] = []
        self.exact = True
        self.answered = 0  # fast answers given (tests use it to know which transport answered)

    def add(self, endpoint: str, handler: Handler, *, access: str | None = None, writes: bool | None = None) -> None:
        """Answer the Flask endpoint ``endpoint`` (every rule and method of it but HEAD and
        OPTIONS) with ``handler``. ``writes`` (default: the endpoint takes POST/PUT/PATCH/DELETE)
        says a call may change state: a failure is then an error answer, never a replay through
        Flask. A write route must state its ``access`` rule (one of ``ACCESS``)."""
        from .app_factory import header_policy

        rules = [rule for rule in self.app.url_map.iter_rules() if rule.endpoint == endpoint]
        if not rules:
            raise ValueError(f"no Flask endpoint {endpoint!r} to answer fast")
        methods = {m for rule in rules for m in (rule.methods or ())} - {"HEAD", "OPTIONS"}
        writes = bool(methods & WRITE_METHODS) if writes is None else writes
        if access is None and writes:
            raise ValueError(f"the fast write route {endpoint!r} must state its access rule (one of {sorted(ACCESS)})")
        if access is not None and access not in ACCESS:
            raise ValueError(f"unknown access rule {access!r} for {endpoint!r} (one of {sorted(ACCESS)})")
        if getattr(self.app.view_functions.get(endpoint), "_polystatus_roles", None):
            raise ValueError(f"{endpoint!r} is role-guarded: only Flask checks roles")
        for rule in rules:
            copy = rule.empty()
            copy.methods = frozenset(methods)
            self.map.add(copy)
            self.starts += (rule.rule.split("<", 1)[0],)
            pattern = _pattern(rule.rule)
            if pattern is None:
                self.exact = False
            else:
                self.patterns.append((pattern, frozenset(methods), copy))
        self.routes[endpoint] = FastRoute(endpoint, handler, access, writes,
                                          list(header_policy(self.app.config, rules[0].rule).items()))
        self.adapter = self.map.bind("fast.invalid")

    def _find(self, method: str, path: str):
        if not path.startswith(self.starts):
            return None
        if self.exact:
            hits = [(methods, rule) for pattern, methods, rule in self.patterns if pattern.fullmatch(path)]
            if not hits:
                return None
            if len(hits) == 1:
                methods, rule = hits[0]
                return (rule.rule, self.routes[rule.endpoint]) if method in methods else None
        try:
            rule, _ = self.adapter.match(path, method, return_rule=True)
        except Exception:  # noqa: BLE001 — not found, wrong method, a redirect: Flask says which
            return None
        return rule.rule, self.routes[rule.endpoint]

    def _failed(self, request: FastRequest, method: str, label: str, route: FastRoute) -> Answer | None:
        if not route.writes:
            # Nothing was changed: Flask answers it, but the bug is logged as one.
            log.error("fast path for %s %s failed; handing it to Flask", method, label, exc_info=True)
            return None
        # The write may have happened: answering here, never replaying it through Flask.
        log.error("fast path for %s %s failed after it started a write", method, label, exc_info=True)
        return request.error(ServiceError("The server met an unexpected error; it has been logged.",
                                          code="internal_error").with_status(500))

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        found = None if "HTTP_ORIGIN" in environ else self._find(method, environ.get("PATH_INFO", ""))
        if found is None:
            return self.next(environ, start_response)
        started = time.perf_counter()
        label, route = found
        request = FastRequest(environ)
        try:
            answer = route.handler(request)
        except ServiceError as exc:
            answer = request.error(exc)
        except RedisError as exc:
            if storage_unavailable(exc):
                # Answered here, as Flask would: handing it on would wait out a frozen Redis twice.
                log.warning("redis unavailable: %s: %s", type(exc).__name__, exc)
                value, status, headers = unavailable_answer(exc)
                value["request_id"] = request.request_id
                answer = request.json_answer(status, value, headers)
            else:
                answer = self._failed(request, method, label, route)
        except Exception:  # noqa: BLE001 — a bug: an error answer for a write, Flask for a read
            answer = self._failed(request, method, label, route)
        if answer is None:
            request.rewind()
            return self.next(environ, start_response)
        status, headers, body = answer
        self.answered += 1
        headers = [*headers, *route.headers, ("X-Request-ID", request.request_id), ("Content-Length", str(len(body)))]
        elapsed = time.perf_counter() - started
        self.metrics.observe(method, label, status, elapsed)
        if self.access_log and self.access.isEnabledFor(logging.INFO):
            self.access.info("%s %s %s", method, environ.get("PATH_INFO", ""), status,
                             extra={"fields": {"status": status, "ms": round(elapsed * 1000, 2), "fast": True}})
        start_response(_REASONS.get(status, f"{status} Unknown"), headers)
        return [body]


def _pattern(rule: str) -> re.Pattern | None:
    """The regex werkzeug matches ``rule`` with, for rules whose variables use the default
    converter (one path segment); None for any other converter."""
    parts = []
    for literal, variable in re.findall(r"([^<]*)(<[^>]*>)?", rule):
        parts.append(re.escape(literal))
        if variable:
            if ":" in variable and variable[1:].split(":", 1)[0] not in ("default", "string"):
                return None
            parts.append("[^/]+")
    return re.compile("".join(parts))


def install(app) -> FastPaths | None:
    """Put the fast transport in front of ``app`` (unless ``FASTPATHS`` is false); returns it
    so the service can add its routes, or None when it is off."""
    if not app.config.get("FASTPATHS", True):
        return None
    fast = FastPaths(app)
    app.wsgi_app = fast
    return fast
