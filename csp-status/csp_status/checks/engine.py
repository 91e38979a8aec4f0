"""Running checks: asynchronous (aiohttp), many at a time under a concurrency limit.

One engine process drives hundreds of checks concurrently over keep-alive connections; the
result of each run is a plain dict {ok, reason, status, response_time_ms, lag_s, at}.
"""
from __future__ import annotations

import asyncio
import json
import socket
import ssl
import time
from datetime import UTC, datetime

import aiohttp
from aiohttp.abc import AbstractResolver
from polystatus import outbound

from .. import targets
from . import service


async def _cert_hours(host: str, port: int, timeout: float) -> float | None:
    try:
        context = ssl.create_default_context()
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=context), timeout)
        cert = writer.get_extra_info("peercert")
        writer.close()
        expires = datetime.strptime(cert["notAfter"], "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)
        return (expires - datetime.now(UTC)).total_seconds() / 3600
    except (TimeoutError, OSError, ssl.SSLError, KeyError, ValueError):
        return None


class GuardedResolver(AbstractResolver):
    """DNS for the checks' HTTP client, refusing private answers: the address checked is the
    address connected to (a name that answers public, then loopback, reaches nothing).
    ``allow()`` gives the rule now (an agent learns it from the server after start)."""

    def __init__(self, allow):
        self.inner = aiohttp.ThreadedResolver()
        self.allow = allow

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):
        answers = await self.inner.resolve(host, port, family)
        for answer in answers:
            targets.refuse_private(answer["host"], self.allow(), host)
        return answers

    async def close(self) -> None:
        await self.inner.close()


async def run_http(check: dict, session: aiohttp.ClientSession, now: datetime, allow_private: bool) -> dict:
    # IP literals are checked here (the client does not resolve them); names, by the session's
    # GuardedResolver at connection time.
    targets.check_url(check["url"], allow_private, resolve=False)
    headers = dict(check.get("headers") or {})
    if check.get("bearer_token"):
        headers["Authorization"] = f"Bearer {check['bearer_token']}"
    started = time.perf_counter()
    try:
        async with session.request(check.get("method", "GET"), check["url"], headers=headers,
                                   data=(check.get("body") or None), allow_redirects=False,
                                   timeout=aiohttp.ClientTimeout(total=check.get("timeout", 10))) as response:
            raw = await response.read()
            status, response_headers, url = response.status, dict(response.headers), response.url
    except (aiohttp.ClientError, TimeoutError) as exc:
        return {"ok": False, "reason": f"request failed: {type(exc).__name__} {exc}".strip(), "status": None,
                "response_time_ms": round((time.perf_counter() - started) * 1000, 1)}
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = raw.decode("utf-8", errors="replace")
    result = {"status": status, "response_time_ms": elapsed}
    kind = check["kind"]
    if kind == "assertions":
        context = {"STATUS": status, "RESPONSE_TIME": elapsed, "BODY": body,
                   "HEADERS": response_headers, "CONNECTED": True}
        if any("CERTIFICATE_EXPIRATION" in c for c in check.get("conditions", [])) and url.scheme == "https":
            context["CERTIFICATE_EXPIRATION"] = await _cert_hours(url.host, url.port or 443, 5)
        ok, reason = service.judge_assertions(check.get("conditions") or ["[STATUS] == 200"], context)
    elif kind == "freshness":
        if status >= 400:
            ok, reason, lag = False, f"HTTP {status}", None
        else:
            ok, reason, lag = service.judge_freshness(body, check.get("field", "computed_time"),
                                                      int(check.get("max_age", 900)), now)
        result["lag_s"] = lag
    else:  # task
        ok, reason = (False, f"HTTP {status}") if status >= 500 and not isinstance(body, dict) \
            else service.judge_task(body, now)
    return {**result, "ok": ok, "reason": reason}


async def run_tcp(check: dict, allow_private: bool) -> dict:
    host, port = check["host"].strip("[]"), int(check["port"])
    targets.check_url(targets.host_url(host, port), allow_private, resolve=False)
    started = time.perf_counter()
    try:
        # Resolve once, check those addresses, connect to the one checked.
        infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM),
                                       check.get("timeout", 10))
        address = infos[0][4][0]
        for info in infos:
            targets.refuse_private(info[4][0], allow_private, host)
        _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), check.get("timeout", 10))
        writer.close()
        return {"ok": True, "reason": f"connected to {host}:{port}",
                "response_time_ms": round((time.perf_counter() - started) * 1000, 1)}
    except (TimeoutError, OSError) as exc:
        return {"ok": False, "reason": f"cannot connect to {host}:{port}: {type(exc).__name__}",
                "response_time_ms": round((time.perf_counter() - started) * 1000, 1)}


async def run_dns(check: dict) -> dict:
    started = time.perf_counter()
    try:
        infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(check["host"], None), check.get("timeout", 5))
    except (TimeoutError, OSError) as exc:
        return {"ok": False, "reason": f"{check['host']} does not resolve: {exc}", "addresses": []}
    addresses = sorted({info[4][0] for info in infos})
    expected = check.get("expect")
    ok = not expected or expected in addresses
    reason = f"{check['host']} -> {', '.join(addresses)}" if ok else f"{expected} not in {addresses}"
    return {"ok": ok, "reason": reason, "addresses": addresses,
            "response_time_ms": round((time.perf_counter() - started) * 1000, 1)}


async def run_one(check: dict, session: aiohttp.ClientSession, *, allow_private: bool, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    try:
        if check["kind"] == "tcp":
            result = await run_tcp(check, allow_private)
        elif check["kind"] == "dns":
            result = await run_dns(check)
        else:
            result = await run_http(check, session, now, allow_private)
    except Exception as exc:  # a check must yield a verdict, whatever went wrong
        result = {"ok": False, "reason": f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"}
    result["at"] = now.isoformat()
    return result


def session(concurrency: int, allow, local_addr: str | None = None):
    """The checks' HTTP session: keep-alive, at most ``concurrency`` connections, DNS through
    the GuardedResolver (``allow()`` gives the private-target rule)."""
    return outbound.check_session(limit=concurrency, local_addr=local_addr, resolver=GuardedResolver(allow))


async def run_many(checks: list[dict], session: aiohttp.ClientSession, *, concurrency: int, allow_private,
                   now: datetime | None = None) -> list[dict]:
    """Run checks with at most ``concurrency`` in flight; results in the same order."""
    semaphore = asyncio.Semaphore(concurrency)

    async def guarded(check):
        async with semaphore:
            return await run_one(check, session, allow_private=allow_private, now=now)

    return await asyncio.gather(*(guarded(c) for c in checks))


class Engine:
    """Runs batches of checks with at most `concurrency` in flight."""

    def __init__(self, *, concurrency: int = 200, allow_private: bool = False):
        self.concurrency = concurrency
        self.allow_private = allow_private

    async def run_batch(self, checks: list[dict], now: datetime | None = None) -> list[dict]:
        async with session(self.concurrency, lambda: self.allow_private) as http:
            return await run_many(checks, http, concurrency=self.concurrency, allow_private=self.allow_private, now=now)

    def run(self, checks: list[dict], now: datetime | None = None) -> list[dict]:
        return asyncio.run(self.run_batch(checks, now))
