"""The Sentry channel: a delivery becomes an event in the channel's own Sentry project.

Apprise has no Sentry support, so this is ours, built on the official sentry-sdk: the SDK
builds, normalises and serialises the event and its envelope, and authenticates to the DSN.
Each send has a ``sentry_sdk.Client`` and a ``Scope`` of its own, never the process's global
one (``polystatus.error_reports``, comms' own errors): two channels with two DSNs cannot mix,
and nothing of comms' own error reporting (its tags, breadcrumbs, request) reaches a channel.

The SDK's HTTP transport sends from a background thread and drops failures after logging
them; a delivery must know whether Sentry took its event, to retry or dead-letter it like any
other channel. So the envelope the SDK built is posted here, synchronously, within the
delivery's timeout, through ``polystatus.outbound`` (:class:`EnvelopePost`).

A Sentry event cannot resolve its issue. A recovery is therefore an info-level event in the
same fingerprint group (the issue shows it), and, when the channel has an auth token and an
organisation, the issue is resolved through Sentry's Web API: the recovery event's id is
looked up (``GET /api/0/organizations/{org}/eventids/{id}/``, scope org:read) to find its
issue, which is then set to resolved (``PUT /api/0/organizations/{org}/issues/{id}/``, scope
event:write). Sentry processes events asynchronously, so the lookup may answer 404 for a few
seconds: the delivery is then retried later, resending the same event id (Sentry keeps one
event per id), until the issue is found. The recovery event comes before the resolution, so
it does not reopen the issue; the next "down" event does, as a regression.
"""
from __future__ import annotations

import gzip
from urllib.parse import quote

import httpx
import sentry_sdk
from polystatus import outbound
from sentry_sdk.transport import Transport
from sentry_sdk.utils import EndpointType

from .senders import SendError

# What a channel's event may carry: the SDK (and global event processors that the process's
# own Sentry setup may have installed) would add the host name, installed modules, argv, a
# release and a trace context, none of which concern the channel's project.
EVENT_KEYS = ("event_id", "timestamp", "level", "logger", "platform", "message", "fingerprint", "tags", "contexts",
              "environment", "sdk")


class EnvelopePost(Transport):
    """Posts the SDK's envelope at once and keeps Sentry's answer (or the network error)."""

    def __init__(self, dsn: str, timeout: float):
        super().__init__({"dsn": dsn})
        self.timeout = timeout
        self.answer: httpx.Response | None = None
        self.error: Exception | None = None

    def capture_envelope(self, envelope) -> None:
        auth = self.parsed_dsn.to_auth(f"polystatus-comms/{sentry_sdk.VERSION}")
        headers = {"Content-Type": "application/x-sentry-envelope", "Content-Encoding": "gzip",
                   "X-Sentry-Auth": auth.to_header()}
        try:
            with outbound.client(timeout=self.timeout) as http:
                self.answer = http.post(auth.get_api_url(EndpointType.ENVELOPE),
                                        content=gzip.compress(envelope.serialize()), headers=headers)
        except httpx.HTTPError as exc:
            self.error = exc


def _only_the_channels_data(event: dict, _hint: dict) -> dict:
    trimmed = {key: event[key] for key in EVENT_KEYS if key in event}
    trimmed.get("contexts", {}).pop("trace", None)
    return trimmed


def _refused(what: str, response: httpx.Response, hint: str) -> SendError:
    status = response.status_code
    transient = status in (408, 429) or status >= 500
    return SendError(f"{what}: Sentry answered HTTP {status}" + ("" if transient else f" ({hint})"),
                     permanent=not transient)


def send(target: dict, payload: dict, *, timeout: float = 10) -> str:
    """Send one Sentry event (``payload["event"]``) to a channel, and resolve its issue when
    the payload is a recovery and the channel can; the event's id. SendError on failure."""
    transport = EnvelopePost(target["dsn"], timeout)
    client = sentry_sdk.Client(
        dsn=target["dsn"], transport=transport, default_integrations=False, integrations=[],
        auto_enabling_integrations=False, environment=target.get("environment") or "production",
        release="", server_name="",  # not comms' git revision nor its host name (dropped below)
        max_breadcrumbs=0, send_client_reports=False, before_send=_only_the_channels_data,
    )
    try:
        event_id = client.capture_event(dict(payload["event"]), scope=sentry_sdk.Scope(client=client))
    finally:
        client.close(timeout=0)
    if transport.error is not None:
        raise SendError(f"Sentry unreachable: {type(transport.error).__name__} {transport.error}".strip())
    if event_id is None or transport.answer is None:
        raise SendError("sentry-sdk dropped the event", permanent=True)
    if transport.answer.status_code >= 300:
        raise _refused("the event was refused", transport.answer, "check the DSN: its key and project id")
    if payload.get("resolve") and target.get("token") and target.get("org"):
        resolve(target, event_id, timeout=timeout)
    return event_id


def resolve(target: dict, event_id: str, *, timeout: float = 10) -> None:
    """Resolve the issue that holds ``event_id``, through Sentry's Web API."""
    base = f"{target['api_url']}/api/0/organizations/{quote(target['org'], safe='')}"
    with outbound.client(timeout=timeout, headers={"Authorization": f"Bearer {target['token']}"}) as http:
        try:
            found = http.get(f"{base}/eventids/{event_id}/")
            if found.status_code == 404:
                raise SendError("recovery event sent; Sentry has not processed it yet, so its issue is "
                                "resolved on the next attempt")
            if found.status_code >= 300:
                raise _refused("recovery event sent, but its issue was not found", found,
                               "the token needs the org:read scope, and org the organisation's slug")
            issue = str(found.json()["groupId"])
            done = http.put(f"{base}/issues/{quote(issue, safe='')}/", json={"status": "resolved"})
        except httpx.HTTPError as exc:
            raise SendError(f"recovery event sent; Sentry's Web API unreachable: {type(exc).__name__} {exc}") from None
        except (ValueError, KeyError):
            raise SendError("recovery event sent; Sentry's Web API answered something else than an event") from None
    if done.status_code >= 300:
        raise _refused("recovery event sent, but resolving its issue failed", done,
                       "the token needs the event:write scope")
