"""Every outbound HTTP call of a service goes through here.

One place sets the timeouts (no call waits forever), the retry on connection failures, the
User-Agent, and passes the request id on so logs can be joined across services.
"""
from __future__ import annotations

import httpx

from .logs import current_request_id

USER_AGENT = "PolyStatus/0.1 (+https://github.com/polystatus)"


def _headers(extra: dict | None = None) -> dict:
    headers = {"User-Agent": USER_AGENT}
    request_id = current_request_id()
    if request_id:
        headers["X-Request-ID"] = request_id
    if extra:
        headers.update(extra)
    return headers


def client(*, timeout: float = 5.0, retries: int = 1, follow_redirects: bool = False,
           headers: dict | None = None, **kwargs) -> httpx.Client:
    """A synchronous client. Retries only connection failures (safe for any method)."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
        transport=httpx.HTTPTransport(retries=retries),
        follow_redirects=follow_redirects,
        headers=_headers(headers),
        **kwargs,
    )


def async_client(*, timeout: float = 5.0, retries: int = 1, follow_redirects: bool = False,
                 headers: dict | None = None, limits: httpx.Limits | None = None, **kwargs) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
        transport=httpx.AsyncHTTPTransport(retries=retries, limits=limits or httpx.Limits()),
        follow_redirects=follow_redirects,
        headers=_headers(headers),
        **kwargs,
    )
