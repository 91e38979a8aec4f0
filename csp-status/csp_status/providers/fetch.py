"""Fetching a provider's status document: conditional requests, redirects checked against the
SSRF guard (each hop connects to the very address the guard checked), a size cap, and a body hash for servers that send neither ETag nor Last-Modified."""
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


def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None, body_hash: str | None = None,
          timeout: float = 10.0, allow_private: bool = False) -> Fetched:
    headers = {"Accept": "application/json, application/rss+xml, application/atom+xml, text/xml;q=0.9, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with outbound.client(timeout=timeout, follow_redirects=False) as http:
        for _ in range(MAX_REDIRECTS + 1):
            target = targets.pinned(url, allow_private)
            try:
                with http.stream("GET", target.url, headers={**headers, **target.headers},
                                 extensions=target.extensions) as response:
                    if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                        url = str(httpx.URL(url).join(response.headers["location"]))  # the name, not the address
                        continue
                    if response.status_code == 304:
                        return Fetched(304, b"", dict(response.headers), etag, last_modified, body_hash, True)
                    if response.status_code >= 400:
                        raise FetchError(f"HTTP {response.status_code}")
                    chunks, size = [], 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > MAX_BODY:
                            raise FetchError("response larger than 5 MB")
                        chunks.append(chunk)
                    body = b"".join(chunks)
            except httpx.TimeoutException:
                raise FetchError("timed out") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{type(exc).__name__}: {exc}") from None
            digest = hashlib.sha256(body).hexdigest()
            return Fetched(response.status_code, body, dict(response.headers), response.headers.get("etag"),
                           response.headers.get("last-modified"), digest, digest == body_hash)
    raise FetchError("too many redirects")
