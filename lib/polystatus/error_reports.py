"""A service's own unhandled errors, reported to Sentry when ``SENTRY_DSN`` is set.

Attached like every other concern: ``init_app(app)`` from the app factory (sentry-sdk's Flask
integration: an exception that escapes a view is an event, with the request it broke) and
``init_worker(service, config)`` from the worker runner (a loop that crashes logs at ERROR,
which sentry-sdk's logging integration makes an event). Without a DSN nothing happens and
sentry_sdk is not even imported, so an unset DSN costs nothing.

No personal data leaves: ``send_default_pii`` stays off, sentry-sdk's default (no user, no
client address; it is not passed, as sentry-sdk 2.75 deprecates passing it), local
variables of stack frames are not sent (they hold request bodies, tokens, addresses), request
bodies and cookies are never read, and :func:`scrub` drops credentials headers and replaces
every e-mail address left in the event (an exception message, a log line, a query string).

This is the process-wide Sentry client of the service. The comms Sentry *channel* (check
events sent to a user's own Sentry project) never uses it: each send there has a client and a
scope of its own, so the two never mix.
"""
from __future__ import annotations

import functools
import importlib.metadata
import re

# A domain ends with letters: a release such as polystatus@0.1.0 is not an address.
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b")
EMAIL_MASK = "[email]"
# Request headers that carry credentials or say who the person is; Sentry's own scrubber
# filters most of them already, removing them here does not depend on its list.
PRIVATE_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                   "x-forwarded-for", "x-real-ip", "forwarded"}


def release(service: str) -> str:
    """``polystatus-comms@0.1.0``: the installed package's own version."""
    distribution = f"polystatus-{service}"
    try:
        return f"{distribution}@{importlib.metadata.version(distribution)}"
    except importlib.metadata.PackageNotFoundError:
        return f"polystatus@{importlib.metadata.version('polystatus')}"


def _without_emails(value):
    if isinstance(value, str):
        return EMAIL.sub(EMAIL_MASK, value)
    if isinstance(value, dict):
        return {key: _without_emails(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_emails(item) for item in value]
    return value


def scrub(event: dict, _hint: dict | None = None, *, tags: dict | None = None) -> dict:
    """sentry-sdk's ``before_send``: what is left of the event once nothing personal is in it."""
    event.pop("user", None)
    # sentry-sdk's argv integration copies the command line, and a command line can carry a
    # secret (an agent's --token): the process tag says which program it was.
    extra = event.get("extra")
    if isinstance(extra, dict):
        extra.pop("sys.argv", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("cookies", "data", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {name: value for name, value in headers.items()
                                  if name.lower() not in PRIVATE_HEADERS}
    if tags:
        event.setdefault("tags", {}).update(tags)
    return _without_emails(event)


def _start(service: str, process: str, config: dict, integrations: list):
    """sentry_sdk.init for this process: its client, or None when no DSN is set."""
    if not config.get("SENTRY_DSN"):
        return None
    import sentry_sdk
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    before_send = functools.partial(scrub, tags={"service": service, "process": process})
    sentry_sdk.init(
        dsn=config["SENTRY_DSN"],
        environment=config.get("SENTRY_ENVIRONMENT") or "production",
        release=release(service),
        # 0 means no tracing at all (None), not "trace, and keep nothing": no spans are built.
        traces_sample_rate=config.get("SENTRY_TRACES_SAMPLE_RATE") or None,
        auto_session_tracking=False,  # errors only: no release-health envelope after every request
        include_local_variables=False,
        max_request_body_size="never",
        event_scrubber=EventScrubber(denylist=[*DEFAULT_DENYLIST, "email", "x_api_key", "unsubscribe_secret"],
                                     recursive=True, send_default_pii=False),
        before_send=before_send,
        before_send_transaction=before_send,
        before_breadcrumb=lambda crumb, _hint: _without_emails(crumb),
        integrations=integrations,
        # Not the integrations sentry-sdk turns on for whatever is installed (redis, httpx...):
        # they wrap every Redis command and outbound call to record breadcrumbs, ~100 µs more
        # CPU per request measured (bench/error_reports.py), and Redis keys can name a person.
        auto_enabling_integrations=False,
    )
    return sentry_sdk.get_client()


def init_app(app) -> None:
    """From ``create_service_app``: the Flask integration, when SENTRY_DSN is set."""
    if not app.config.get("SENTRY_DSN"):
        return
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.wsgi import DEFAULT_HTTP_METHODS_TO_CAPTURE

    # Without tracing, no request is a transaction: sentry-sdk would otherwise continue a trace
    # from the headers and build an unsampled transaction for every request, for nothing.
    methods = DEFAULT_HTTP_METHODS_TO_CAPTURE if app.config.get("SENTRY_TRACES_SAMPLE_RATE") else ()
    app.extensions["error_reports"] = _start(app.config["SERVICE_NAME"], "web", app.config,
                                             [FlaskIntegration(http_methods_to_capture=methods)])


def init_worker(service: str, config: dict, *, process: str = "worker"):
    """From ``polystatus.runner`` (and a check agent, ``process="agent"``): what the process logs
    at ERROR, its crashed loops included, when SENTRY_DSN is set."""
    return _start(service, process, config, [])


def finish(client) -> None:
    """Sends what is still queued (for up to 2 s), then stops; a worker's last step."""
    if client is not None:
        client.close(timeout=2)
