"""Every outbound HTTP call of a service goes through here.

One place sets the timeouts (no call waits forever), the retry on connection failures, the
User-Agent, and passes the request id on so logs can be joined across services.
"""
from __future__ import annotations

import functools
import ssl

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


@functools.lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle takes ~30 ms; the checks engine opens clients per batch, so the
    # (read-only) context is built once per process and shared.
    return httpx.create_ssl_context()


def async_client(*, timeout: float = 5.0, retries: int = 1, follow_redirects: bool = False,
                 headers: dict | None = None, limits: httpx.Limits | None = None, **kwargs) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
        transport=httpx.AsyncHTTPTransport(retries=retries, limits=limits or httpx.Limits(), verify=_tls()),
        follow_redirects=follow_redirects,
        headers=_headers(headers),
        **kwargs,
    )


def check_session(*, limit: int, local_addr: str | None = None, resolver=None):
    """An aiohttp session for the checks engine, the one place where thousands of requests a
    second go out: measured at about 8x httpx's rate per core on a keep-alive target
    (bench/checks_engine.py), because httpcore re-examines its whole pool for every request.
    Same User-Agent and TLS context as everything else; no redirects followed, no cookies kept.
    Imported here so only the service that runs checks needs aiohttp installed.
    ``local_addr``: the source address, for an agent on a host with several uplinks;
    ``resolver``: an aiohttp resolver (csp-status passes one that refuses private answers)."""
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, ssl=_tls(), ttl_dns_cache=60,
                                       local_addr=(local_addr, 0) if local_addr else None, resolver=resolver),
        headers={"User-Agent": USER_AGENT}, cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=True,
    )
