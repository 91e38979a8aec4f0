"""Fetching a provider's status document: conditional requests, redirects checked against the
SSRF guard (each hop connects to the very address the guard checked), a size cap, and a body
hash for servers that send neither ETag nor Last-Modified."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import httpx
from polystatus import outbound

from .. import targets

MAX_BODY = 5 * 1024 * 1024
MAX_REDIRECTS = 5


@dataclass
class Fetched:
    status: int  # 200, or 304 when nothing changed
    body: bytes
    headers: dict
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    unchanged: bool


class FetchError(Exception):
    pass


class Unreachable(FetchError):
    """The connection itself failed: another of the name's addresses may still answer."""


def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None, body_hash: str | None = None,
          timeout: float = 10.0, allow_private: bool = False) -> Fetched:
    headers = {"Accept": "application/json, application/rss+xml, application/atom+xml, text/xml;q=0.9, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with outbound.client(timeout=timeout, follow_redirects=False) as http:
        for _ in range(MAX_REDIRECTS + 1):
            status, got, body = _get_any(http, targets.pinned(url, allow_private), headers)
            if status in (301, 302, 303, 307, 308) and "location" in got:
                url = str(httpx.URL(url).join(got["location"]))  # against the name, not the address
                continue
            if status == 304:
                return Fetched(304, b"", got, etag, last_modified, body_hash, True)
            if status >= 400:
                raise FetchError(f"HTTP {status}")
            digest = hashlib.sha256(body).hexdigest()
            return Fetched(status, body, got, got.get("etag"), got.get("last-modified"), digest, digest == body_hash)
    raise FetchError("too many redirects")


def _get_any(http: httpx.Client, candidates: list[targets.Pinned], headers: dict) -> tuple[int, dict, bytes]:
    """GET from the first of the checked addresses that takes the connection."""
    for target in candidates[:-1]:
        try:
            return _get(http, target, headers)
        except Unreachable:
            continue
    return _get(http, candidates[-1], headers)


def _get(http: httpx.Client, target: targets.Pinned, headers: dict) -> tuple[int, dict, bytes]:
    """One GET: status, headers (lower-case names) and, for a 2xx answer, the body within the cap."""
    try:
        with http.stream("GET", target.url, headers={**headers, **target.headers},
                         extensions=target.extensions) as response:
            got = dict(response.headers)
            if not 200 <= response.status_code < 300:
                return response.status_code, got, b""
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY:
                    raise FetchError("response larger than 5 MB")
                chunks.append(chunk)
            return response.status_code, got, b"".join(chunks)
    except httpx.ConnectTimeout:
        raise Unreachable("timed out") from None
    except httpx.ConnectError as exc:
        raise Unreachable(f"ConnectError: {exc}") from None
    except httpx.TimeoutException:
        raise FetchError("timed out") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}") from None
