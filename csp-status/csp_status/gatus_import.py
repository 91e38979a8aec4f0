"""Import a Gatus ``config.yaml`` unchanged: ``python -m csp_status.gatus_import config.yaml``
(or ``POST /import/gatus``).

- ``endpoints``: an HTTP(S) endpoint becomes an assertions check, ``tcp://`` a tcp check, one with
  ``dns:`` a dns check asking the server of its ``url``; name, group, url, method, headers, body
  (and ``graphql``), interval, conditions, ``client.insecure`` and ``client.timeout`` carry over.
  ``icmp://`` an icmp check. Other endpoint types (udp, sctp, ssh, tls, starttls, grpc, ws) are skipped, with why.
- ``external-endpoints``: a heartbeat expecting an update every ``heartbeat.interval`` (Gatus's
  "no update within the interval" alert); its jobs ping ``/ping/<id>`` (``/fail`` for a failure)
  instead of Gatus's push API, and the report gives each one's id.
- ``alerting``: notification channels belong to comms, another service. Each provider Apprise can
  carry (slack, discord, teams-workflows, google chat, mattermost, telegram, pushover, ntfy,
  gotify, matrix, opsgenie, webex, email) is reported "to create in comms" with its Apprise URL
  (secrets masked in the API's answer; in full from the CLI, which runs where the file is), for
  an admin to add as a comms channel on ``check.status_changed``. We do not call comms: one
  service writing another's data would be a second write path for channels.

Every item goes through the same validation as the API's (``checks.spec``, the heartbeat rules):
a refused item is skipped with the reason, the others are applied. Applying the same file again
changes nothing (items are matched by name). Environment variables (``$VAR``) are not expanded:
the server's environment holds its own secrets, not the file's; the report names each one met.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime
from urllib.parse import quote, urlparse

from marshmallow import ValidationError
from polystatus.errors import Invalid

from . import config_apply, config_file
from .checks import expressions
from .checks import flows as check_flows
from .checks import spec as check_spec
from .heartbeats import schemas as heartbeat_schemas
from .heartbeats import service as heartbeat_service
from .heartbeats import storage as heartbeat_storage

UNSUPPORTED_SCHEMES = ("udp", "sctp", "ssh", "tls", "starttls", "grpc", "grpcs", "ws", "wss")
EVENTS = ["check.status_changed"]


def _seconds(value, field: str) -> int:
    ns = expressions.go_duration_ns(str(value)) if value is not None else None
    if not ns or ns < 0:
        raise Invalid(f"{field} {value!r} is not a Go duration (e.g. 60s, 5m).", details={field: ["Not a duration."]})
    return max(1, round(ns / 1e9))


def _why(exc: Invalid) -> str:
    return exc.message + (f" {json.dumps(exc.details, sort_keys=True)}" if exc.details else "")


def endpoint_to_check(endpoint: dict, name: str) -> dict:
    """A Gatus endpoint as a PolyStatus check (raw: ``checks.spec`` validates it)."""
    url = str(endpoint.get("url") or "")
    if not url:
        raise Invalid("you must specify an url for each endpoint")
    if not endpoint.get("conditions"):
        raise Invalid("you must specify at least one condition per endpoint")
    check = {"name": name, "conditions": [str(c) for c in endpoint["conditions"]],
             "interval": _seconds(endpoint.get("interval", "60s"), "interval")}
    if endpoint.get("group"):
        check["group"] = str(endpoint["group"])
    client = endpoint.get("client") or {}
    if client.get("timeout") is not None:
        check["timeout"] = _seconds(client["timeout"], "client.timeout")
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if endpoint.get("dns"):
        dns = endpoint["dns"]
        return {**check, "kind": "dns", "host": str(dns.get("query-name") or "").rstrip(".") or None,
                "server": url, "query_type": str(dns.get("query-type") or "A").upper()}
    if scheme == "tcp":
        address = urlparse(url)
        return {**check, "kind": "tcp", "host": address.hostname, "port": address.port}
    if scheme == "icmp":  # Gatus's icmp://host: [CONNECTED] and [RESPONSE_TIME], as our icmp kind gives
        return {**check, "kind": "icmp", "host": urlparse(url).hostname}
    if scheme in UNSUPPORTED_SCHEMES:
        raise Invalid(f"Gatus endpoints of type {scheme} have no PolyStatus check kind (http(s), tcp, dns and icmp do).")
    if scheme not in ("http", "https"):
        raise Invalid("unknown endpoint type")
    body = endpoint.get("body")
    headers = {str(k): str(v) for k, v in (endpoint.get("headers") or {}).items()}
    if body is not None:
        body = str(body)
        for placeholder, value in (("[ENDPOINT_NAME]", name), ("[ENDPOINT_GROUP]", endpoint.get("group") or ""),
                                   ("[ENDPOINT_URL]", url)):
            body = body.replace(placeholder, str(value))
        if endpoint.get("graphql"):
            body = json.dumps({"query": body})
            headers.setdefault("Content-Type", "application/json")
        check["body"] = body
    return {**check, "kind": "assertions", "url": url, "method": str(endpoint.get("method") or "GET").upper(),
            "headers": headers, **({"insecure": True} if client.get("insecure") else {})}


def external_to_heartbeat(external: dict, name: str) -> dict:
    interval = (external.get("heartbeat") or {}).get("interval")
    if not interval:
        raise Invalid("no heartbeat.interval: a PolyStatus heartbeat needs the interval its updates arrive at.")
    heartbeat = {"name": name, "timeout": _seconds(interval, "heartbeat.interval"), "grace": 0}
    return heartbeat


def _apprise(url: str):
    import apprise

    channels = apprise.Apprise()
    return channels[0] if channels.add(url) else None


def provider_to_apprise(kind: str, config: dict) -> str:
    """The Apprise URL carrying a Gatus alerting provider's messages; Invalid when none does."""
    c = {k: ("" if v is None else v) for k, v in (config or {}).items()}
    webhook = str(c.get("webhook-url", ""))
    if kind in ("slack", "discord", "googlechat", "teams-workflows"):
        url = webhook
    elif kind == "mattermost":
        hook = urlparse(webhook)
        url = f"mmost{'s' if hook.scheme == 'https' else ''}://{hook.netloc}/{hook.path.rsplit('/', 1)[-1]}"
    elif kind == "telegram":
        url = f"tgram://{c.get('token')}/{c.get('id')}"
    elif kind == "pushover":
        url = f"pover://{c.get('user-key')}@{c.get('application-token')}"
    elif kind == "ntfy":
        server = urlparse(str(c.get("url") or "https://ntfy.sh"))
        token = f"{c['token']}@" if c.get("token") else ""
        url = f"ntfy{'s' if server.scheme == 'https' else ''}://{token}{server.netloc}/{c.get('topic')}"
    elif kind == "gotify":
        server = urlparse(str(c.get("server-url")))
        url = f"gotify{'s' if server.scheme == 'https' else ''}://{server.netloc}/{c.get('token')}"
    elif kind == "matrix":
        server = urlparse(str(c.get("server-url") or "https://matrix-client.matrix.org"))
        url = f"matrixs://{c.get('access-token')}@{server.netloc}/{quote(str(c.get('internal-room-id')), safe='')}"
    elif kind == "opsgenie":
        url = f"opsgenie://{c.get('api-key')}"
    elif kind == "webex":
        url = webhook
    elif kind == "email":
        user = f"{quote(str(c.get('username') or c.get('from')), safe='')}:{quote(str(c.get('password')), safe='')}@"
        port = f":{c['port']}" if c.get("port") else ""
        url = (f"mailtos://{user}{c.get('host')}{port}?from={quote(str(c.get('from')), safe='')}"
               f"&to={quote(str(c.get('to')), safe='')}")
    else:
        raise Invalid(f"Gatus's {kind} provider has no Apprise equivalent here; create that channel in comms by hand.")
    channel = _apprise(url)
    if channel is None:
        raise Invalid(f"the {kind} settings do not make an Apprise URL (check webhook-url or the provider's fields).")
    return url


def _names(items: list[dict]) -> list[str]:
    """Gatus keys endpoints by group and name; a name used in two groups is prefixed by its group."""
    counts: dict[str, int] = {}
    for item in items:
        counts[str(item.get("name"))] = counts.get(str(item.get("name")), 0) + 1
    return [f"{item.get('group')}/{item.get('name')}" if counts[str(item.get("name"))] > 1 and item.get("group")
            else str(item.get("name") or "") for item in items]


def run(r, text: str, *, allow_private, now: datetime, dry_run: bool = False, show_secrets: bool = False) -> dict:
    """Apply a Gatus config; the report says what was created, updated, left unchanged or
    skipped (and why), and the channels to create in comms."""
    doc = config_file.read_yaml(text, "The Gatus config")
    if not isinstance(doc, dict) or not (doc.get("endpoints") or doc.get("external-endpoints")):
        raise config_file.ConfigError("A Gatus config has endpoints (or external-endpoints).")
    report = {"dry_run": dry_run, "created": [], "updated": [], "unchanged": [], "skipped": [],
              "to_create_in_comms": [], "warnings": []}
    variables = sorted(set(re.findall(r"(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", text)))
    if variables:
        report["warnings"].append("environment variables are not expanded (values kept as written): "
                                  + ", ".join(f"${v}" for v in variables))
    alerts_of: dict[str, list[str]] = {}
    endpoints = [e for e in doc.get("endpoints") or [] if isinstance(e, dict)]
    for endpoint, name in zip(endpoints, _names(endpoints), strict=True):
        if endpoint.get("enabled") is False:
            report["skipped"].append({"section": "endpoints", "name": name, "reason": "disabled in Gatus (enabled: false)"})
            continue
        try:
            check = check_spec.load(endpoint_to_check(endpoint, name), allow_private=allow_private)
        except Invalid as exc:
            report["skipped"].append({"section": "endpoints", "name": name, "reason": _why(exc)})
            continue
        outcome = check_flows.declare(r, check, now=now, write=not dry_run)
        report[outcome].append(name)
        for alert in endpoint.get("alerts") or []:
            if isinstance(alert, dict) and alert.get("enabled", True) is not False and alert.get("type"):
                alerts_of.setdefault(str(alert["type"]), []).append(name)
    externals = [e for e in doc.get("external-endpoints") or [] if isinstance(e, dict)]
    by_name = {h["name"]: h for h in heartbeat_storage.all_heartbeats(r)}
    for external, name in zip(externals, _names(externals), strict=True):
        if external.get("enabled") is False:
            report["skipped"].append({"section": "external-endpoints", "name": name,
                                      "reason": "disabled in Gatus (enabled: false)"})
            continue
        try:
            heartbeat = heartbeat_schemas.HeartbeatIn().load(external_to_heartbeat(external, name))
            heartbeat_service.heartbeat_rules(heartbeat)
        except ValidationError as exc:
            report["skipped"].append({"section": "external-endpoints", "name": name,
                                      "reason": f"The heartbeat has invalid fields. {json.dumps(exc.messages)}"})
            continue
        except Invalid as exc:
            report["skipped"].append({"section": "external-endpoints", "name": name, "reason": _why(exc)})
            continue
        outcome = config_apply.declare_heartbeat(r, heartbeat, by_name, now=now, write=not dry_run)
        report[outcome].append(name)
        for alert in external.get("alerts") or []:
            if isinstance(alert, dict) and alert.get("type"):
                alerts_of.setdefault(str(alert["type"]), []).append(name)
    for kind, config in (doc.get("alerting") or {}).items():
        try:
            url = provider_to_apprise(kind, config if isinstance(config, dict) else {})
        except Invalid as exc:
            report["skipped"].append({"section": "alerting", "name": kind, "reason": exc.message})
            continue
        shown = url if show_secrets else _apprise(url).url(privacy=True)
        report["to_create_in_comms"].append({"provider": kind, "used_by": alerts_of.get(kind, []), "channel": {
            "name": f"Gatus {kind}", "url": shown, "events": EVENTS}})
    for kind in sorted(set(alerts_of) - set(doc.get("alerting") or {})):
        report["warnings"].append(f"alerts of type {kind} name a provider the file does not configure "
                                  "(Gatus ignores them too)")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import a Gatus config.yaml into csp-status (REDIS_URL)")
    parser.add_argument("config", help="the Gatus config file")
    parser.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    args = parser.parse_args(argv)
    from polystatus.clock import SystemClock
    from polystatus.redis_store import connect

    from . import settings

    config = settings.load()
    with open(args.config, encoding="utf-8") as handle:
        text = handle.read()
    try:
        report = run(connect(config["REDIS_URL"]), text, allow_private=config["CSP_ALLOW_PRIVATE_TARGETS"],
                     now=SystemClock().now(), dry_run=args.dry_run, show_secrets=True)
    except Invalid as exc:
        print(f"{args.config}: {_why(exc)}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2))
    return 1 if report["skipped"] else 0


if __name__ == "__main__":
    sys.exit(main())
