"""Channel rules: masking secrets, routing events. Pure functions."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from polystatus.errors import Invalid

EVENT_TYPES = ("incident.created", "incident.updated", "incident.resolved", "maintenance.scheduled",
               "maintenance.started", "maintenance.completed", "maintenance.updated", "component.status_changed",
               "check.status_changed", "check.expiry_warning", "reports.spike", "announcement", "alert")
SEVERITIES = ("info", "minor", "major", "critical")


def mask(url: str) -> str:
    """Keep what tells a channel apart (scheme, host), hide what grants access (all else)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]  # as written: Slack team ids are case-sensitive
    userinfo = "****@" if parts.username or parts.password else ""
    rest = "/****" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{userinfo}{host}{rest}"


def check_url(url: str) -> None:
    if is_sentry(url):
        sentry_target(url)  # raises Invalid with what is wrong in the DSN
        return
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [IPv6 literal
        parts = urlsplit("")
    if not parts.scheme or not (parts.netloc or parts.path):
        raise Invalid("A channel URL looks like slack://..., mailtos://..., json://..., webhook://...",
                      details={"url": ["Not a channel URL."]})


def check_events(events: list[str]) -> None:
    unknown = [e for e in events if e not in EVENT_TYPES and not (e.endswith(".*") and
                                                                    any(t.startswith(e[:-1]) for t in EVENT_TYPES))]
    if unknown:
        raise Invalid("Unknown event types.", details={"events": unknown})


def validate(channel: dict) -> None:
    """The rules every written channel passes, whether it came through the API or the config
    file (the schemas check the shape; this checks what the shape cannot say)."""
    if "url" in channel:
        check_url(channel["url"])
    if "events" in channel:
        check_events(channel["events"])


def declared_id(name: str) -> str:
    """A channel declared in CHANNELS_CONFIG has an id derived from its name, so every replica
    applying the same file writes the same channel: no duplicates, no lock needed."""
    import hashlib

    return "cfg-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]


def matches(channel: dict, event_type: str, component_ids: list[str], severity: str | None) -> bool:
    if not channel.get("enabled", True):
        return False
    if event_type not in EVENT_TYPES:
        return False  # a wildcard (incident.*) hears the documented events, not corrections like incident.edited
    wanted = channel.get("events") or []
    if not any(event_type == e or (e.endswith(".*") and event_type.startswith(e[:-1])) for e in wanted):
        return False
    components = channel.get("components") or []
    if components and component_ids and not set(components) & set(component_ids):
        return False
    severities = channel.get("severities") or []
    return not (severities and severity and severity not in severities)


def public_view(channel: dict) -> dict:
    return {**{k: v for k, v in channel.items() if k != "url"}, "url": mask(channel["url"])}


def test_message(channel: dict, page_url: str, at: str) -> dict:
    """What "send a test" sends: says what it is, so nobody on the channel takes it for an alert."""
    text = (f"This is a test from PolyStatus ({page_url}) for the channel \"{channel['name']}\", sent at {at}. "
            "If you read this, the channel works; there is nothing to do.")
    return {"title": "[Test] PolyStatus channel check", "text": text,
            "webhook": {"meta": {"test": True}, "page": {"url": page_url}, "event": {"type": "test", "data": {"text": text}}}}


def sentry_test_event(message: dict, *, event_id: str) -> dict:
    """What "send a test" sends to a Sentry channel: an info event of its own (its own
    fingerprint, so it never joins a check's issue), nothing to resolve."""
    return {"event": {"event_id": event_id, "logger": "polystatus", "platform": "other", "level": "info",
                      "message": f"{message['title']}\n\n{message['text']}", "fingerprint": ["polystatus-test"],
                      "tags": {"polystatus_test": "true"}}, "resolve": False}


# ------------------------------------------------------------------------------------ Sentry
# A Sentry channel is the project's DSN with `sentry+` in front (`sentry://` alone means an
# https DSN), and optional settings in the query:
#   sentry+https://<public key>@o123.ingest.sentry.io/<project id>?environment=production
#   ...&org=<org slug>&token=<auth token>   resolve the issue on recovery (Web API)
#   ...&api=https://sentry.example.com      the Web API's base, when it cannot be told from the DSN
# Apprise has no Sentry support: comms sends these itself, with sentry-sdk (deliveries/sentry.py).
SENTRY_SCHEMES = {"sentry": "https", "sentry+https": "https", "sentry+http": "http"}
SENTRY_OPTIONS = ("environment", "org", "token", "api")


def is_sentry(url: str) -> bool:
    return url.split("://", 1)[0].lower() in SENTRY_SCHEMES


def _sentry_invalid(problem: str) -> Invalid:
    return Invalid(f"A Sentry channel is sentry+<your DSN>, e.g. sentry+https://<key>@o1.ingest.sentry.io/42: {problem}",
                   details={"url": [problem]})


def sentry_api_url(scheme: str, host: str) -> str:
    """Sentry's Web API for a DSN: sentry.io's ingest hosts (o1.ingest.sentry.io,
    o1.ingest.de.sentry.io) answer events only, their API is on (de.)sentry.io; a self-hosted
    Sentry answers both on the DSN's own host."""
    if host.endswith(".sentry.io") and ".ingest." in f".{host}":
        return "https://" + host.split("ingest.", 1)[1]
    return f"{scheme}://{host}"


def sentry_target(url: str) -> dict:
    """{dsn, environment, org, token, api_url} of a Sentry channel URL; Invalid when it is not one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _sentry_invalid("the host is not a name or an address") from None
    scheme = SENTRY_SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise _sentry_invalid("the scheme is sentry://, sentry+https:// or sentry+http://")
    try:
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        raise _sentry_invalid("the port is not a number") from None
    if not host:
        raise _sentry_invalid("the DSN has no host")
    if not parts.username:
        raise _sentry_invalid("the DSN has no public key (the part before @)")
    project = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not project.isdigit():
        raise _sentry_invalid("the DSN ends with the project id, a number")
    options: dict[str, str] = {}
    for pair in filter(None, parts.query.split("&")):
        # unquote, not unquote_plus: an auth token may hold a literal +
        name, _, value = pair.partition("=")
        if name not in SENTRY_OPTIONS:
            raise _sentry_invalid(f"unknown setting {name!r} (known: {', '.join(SENTRY_OPTIONS)})")
        if name in options:
            raise _sentry_invalid(f"{name} is given twice")
        options[name] = unquote(value)
    if bool(options.get("org")) != bool(options.get("token")):
        raise _sentry_invalid("org and token go together: both to resolve issues on recovery, or neither")
    api = options.get("api") or sentry_api_url(scheme, parts.netloc.rsplit("@", 1)[-1].lower())
    try:
        api_parts = urlsplit(api)
        valid_api = api_parts.scheme in ("http", "https") and bool(api_parts.hostname)
    except ValueError:
        valid_api = False
    if not valid_api:
        raise _sentry_invalid("api is the base URL of Sentry's Web API, https://sentry.example.com")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return {"dsn": f"{scheme}://{parts.username}@{netloc}{parts.path}", "environment": options.get("environment") or "",
            "org": options.get("org") or "", "token": options.get("token") or "", "api_url": api.rstrip("/")}
