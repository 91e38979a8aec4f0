"""Running checks: asynchronous (aiohttp), many at a time under a concurrency limit.

One engine process drives hundreds of checks concurrently over keep-alive connections; the
result of each run is a plain dict {ok, reason, status, response_time_ms, lag_s, at}.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import aiohttp
import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.reversename
from aiohttp.abc import AbstractResolver
from cryptography import x509
from polystatus import outbound
from polystatus.text import clean

from .. import targets
from . import datastores, icmp, rdap, runs, sealing, service


async def _certificate_expiry(host: str, port: int, *, insecure: bool, allow_private, timeout: float) -> datetime:
    """When the server's certificate expires, from a TLS handshake with the checked address (the
    name kept for SNI and verification)."""
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    address = await runs.checked_address(host, port, allow_private, timeout)
    _, writer = await asyncio.wait_for(asyncio.open_connection(address, port, ssl=context, server_hostname=host), timeout)
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.close()
    return x509.load_der_x509_certificate(der).not_valid_after_utc


async def _certificate_ms(host: str, port: int, *, insecure: bool, allow_private, timeout: float,
                          now: datetime) -> int:
    """Milliseconds until the server's certificate expires ([CERTIFICATE_EXPIRATION])."""
    expires = await _certificate_expiry(host, port, insecure=insecure, allow_private=allow_private, timeout=timeout)
    return int((expires - now).total_seconds() * 1000)


class Certificates:
    """Certificate expiry dates for the expiry warnings, kept ``ttl_s`` per host and port: a
    warning counts days, so a check run every minute needs no handshake of its own every minute."""

    def __init__(self, ttl_s: float = 6 * 3600, clock=time.monotonic):
        self.ttl_s, self.clock = ttl_s, clock
        self.known: dict[tuple, tuple[float, datetime]] = {}

    async def expiry(self, host: str, port: int, *, insecure: bool, allow_private, timeout: float) -> datetime:
        key = (host, port, insecure)
        seen = self.known.get(key)
        if seen is not None and self.clock() - seen[0] < self.ttl_s:
            return seen[1]
        expires = await _certificate_expiry(host, port, insecure=insecure, allow_private=allow_private, timeout=timeout)
        if len(self.known) > 10_000:
            self.known.clear()
        self.known[key] = (self.clock(), expires)
        return expires


async def _certificate_fact(check: dict, context: dict, certificates: Certificates | None, allow_private,
                            now: datetime) -> str | None:
    """The certificate's expiry date for the warnings: from the condition's handshake when one
    was made, else from the cache (a TLS error leaves it unknown; the run's verdict is not touched)."""
    if "CERTIFICATE_EXPIRATION" in context:
        return (now + timedelta(milliseconds=context["CERTIFICATE_EXPIRATION"])).isoformat()
    url = urlparse(check["url"])
    try:
        expires = await (certificates or Certificates()).expiry(
            url.hostname, url.port or 443, insecure=bool(check.get("insecure")), allow_private=allow_private,
            timeout=check.get("timeout", 10))
    except (TimeoutError, OSError, ssl.SSLError, ValueError):
        return None
    return expires.isoformat()


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


async def _domain_ms(check: dict, host: str | None, domains, now: datetime) -> tuple[int, str | None]:
    """[DOMAIN_EXPIRATION] in milliseconds, and the error when RDAP could not tell."""
    if domains is None or not host:
        return 0, "[DOMAIN_EXPIRATION] needs a domain name and RDAP"
    try:
        return int(((await domains.expiration(host, now)) - now).total_seconds() * 1000), None
    except rdap.RdapError as exc:
        return 0, str(exc)


async def _connection_facts(check: dict, context: dict, errors: list, allow_private, now: datetime) -> None:
    """[IP] and [CERTIFICATE_EXPIRATION], asked only when a condition uses them."""
    url = urlparse(check["url"])
    port = url.port or (443 if url.scheme == "https" else 80)
    timeout = check.get("timeout", 10)
    try:
        if runs.uses(check, "IP"):
            context["IP"] = await runs.checked_address(url.hostname, port, allow_private, timeout)
        if runs.uses(check, "CERTIFICATE_EXPIRATION") and url.scheme == "https":
            context["CERTIFICATE_EXPIRATION"] = await _certificate_ms(
                url.hostname, port, insecure=bool(check.get("insecure")), allow_private=allow_private,
                timeout=timeout, now=now)
    except (TimeoutError, OSError, ssl.SSLError, ValueError) as exc:
        errors.append(f"TLS certificate or address of {url.hostname} unavailable: {type(exc).__name__} {exc}".strip())


async def run_http(check: dict, session: aiohttp.ClientSession, now: datetime, allow_private: bool,
                   domains=None, certificates: Certificates | None = None) -> dict:
    # IP literals are checked here (the client does not resolve them); names, by the session's
    # GuardedResolver at connection time.
    targets.check_url(check["url"], allow_private, resolve=False)
    headers = dict(check.get("headers") or {})
    if check.get("bearer_token"):
        headers["Authorization"] = f"Bearer {check['bearer_token']}"
    kind = check["kind"]
    context: dict = {"CONNECTED": False, "STATUS": 0, "RESPONSE_TIME": 0}
    errors: list[str] = []
    if kind == "assertions" and runs.uses(check, "DOMAIN_EXPIRATION"):
        context["DOMAIN_EXPIRATION"], error = await _domain_ms(check, urlparse(check["url"]).hostname, domains, now)
        errors += [error] if error else []
    started = time.perf_counter()
    try:
        async with session.request(check.get("method", "GET"), check["url"], headers=headers,
                                   data=(check.get("body") or None), allow_redirects=False,
                                   ssl=False if check.get("insecure") else True,
                                   timeout=aiohttp.ClientTimeout(total=check.get("timeout", 10))) as response:
            raw = await response.read()
            status, response_headers = response.status, dict(response.headers)
    except (aiohttp.ClientError, TimeoutError) as exc:
        error = f"request failed: {type(exc).__name__} {exc}".strip()
        if kind != "assertions":
            return {"ok": False, "reason": error, "status": None,
                    "response_time_ms": round((time.perf_counter() - started) * 1000, 1)}
        ok, reason, verdicts = runs.verdict(check, context, [*errors, error])
        return {"ok": ok, "reason": reason, "conditions": verdicts, "status": None,
                "response_time_ms": round((time.perf_counter() - started) * 1000, 1)}
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    result = {"status": status, "response_time_ms": elapsed}
    if kind == "assertions":
        context.update({"STATUS": status, "RESPONSE_TIME": elapsed, "BODY": raw, "HEADERS": response_headers,
                        "CONNECTED": True})
        await _connection_facts(check, context, errors, allow_private, now)
    if check["url"].lower().startswith("https:") and check.get("expiry_warning_days", service.EXPIRY_WARNING_DAYS):
        result["certificate_expires_at"] = await _certificate_fact(check, context, certificates, allow_private, now)
    if kind == "assertions":
        ok, reason, verdicts = runs.verdict(check, context, errors)
        return {**result, "ok": ok, "reason": reason, "conditions": verdicts}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = raw.decode("utf-8", errors="replace")
    if kind == "freshness":
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


async def run_tcp(check: dict, allow_private: bool, now: datetime, domains=None) -> dict:
    host, port = check["host"].strip("[]"), int(check["port"])
    targets.check_url(targets.host_url(host, port), allow_private, resolve=False)
    context: dict = {"CONNECTED": False}
    errors: list[str] = []
    if check.get("conditions") and runs.uses(check, "DOMAIN_EXPIRATION"):
        context["DOMAIN_EXPIRATION"], error = await _domain_ms(check, host, domains, now)
        errors += [error] if error else []
    started = time.perf_counter()
    try:
        # Resolve once, check those addresses, connect to the one checked.
        infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM),
                                       check.get("timeout", 10))
        address = infos[0][4][0]
        for info in infos:
            targets.refuse_private(info[4][0], allow_private, host)
        context["IP"] = address
        _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), check.get("timeout", 10))
        writer.close()
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        context.update(CONNECTED=True, RESPONSE_TIME=elapsed)
        ok, reason, verdicts = (True, f"connected to {host}:{port}", []) if not check.get("conditions") \
            else runs.verdict(check, context, errors)
        return {"ok": ok, "reason": reason, "conditions": verdicts, "response_time_ms": elapsed}
    except (TimeoutError, OSError) as exc:
        error = f"cannot connect to {host}:{port}: {type(exc).__name__}"
        ok, reason, verdicts = (False, error, []) if not check.get("conditions") \
            else runs.verdict(check, context, [*errors, error])
        return {"ok": ok, "reason": reason, "conditions": verdicts,
                "response_time_ms": round((time.perf_counter() - started) * 1000, 1)}


def _dns_body(answer: list) -> str:
    """The answer as Gatus shows it in [BODY]: the last A/AAAA/CNAME/MX/NS/PTR/SRV record's
    value, or every TXT record's text, one a line."""
    body = ""
    for rrset in answer:
        for record in rrset:
            kind = dns.rdatatype.to_text(record.rdtype)
            if kind in ("A", "AAAA"):
                body = record.address
            elif kind in ("CNAME", "NS", "PTR"):
                body = record.target.to_text()
            elif kind == "MX":
                body = record.exchange.to_text()
            elif kind == "SRV":
                body = f"{record.target.to_text()}:{record.port}"
            elif kind == "TXT":
                text = b"".join(record.strings).decode("utf-8", errors="replace")
                body = f"{body}\n{text}" if body else text
            else:
                body = "query type is not supported yet"
    return body


async def run_dns_query(check: dict, allow_private: bool) -> dict:
    """Ask the check's DNS server, as Gatus's dns endpoints do: [BODY] is the answer, [DNS_RCODE]
    the response code, [IP] the server's address."""
    host, port = targets.split_host_port(check["server"], 53)
    targets.check_url(targets.host_url(host, port), allow_private, resolve=False)
    query_type = check.get("query_type") or "A"
    name = check["host"]
    if query_type == "PTR" and not name.endswith((".in-addr.arpa.", ".ip6.arpa.")):
        try:
            name = dns.reversename.from_address(name).to_text()
        except (dns.exception.SyntaxError, ValueError):
            pass
    context: dict = {"CONNECTED": False, "IP": host}
    started = time.perf_counter()
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        address = infos[0][4][0]
        for info in infos:
            targets.refuse_private(info[4][0], allow_private, host)
        query = dns.message.make_query(dns.name.from_text(name), query_type)
        answer = await dns.asyncquery.udp(query, address, port=port, timeout=check.get("timeout", 5))
    except (TimeoutError, OSError, dns.exception.DNSException) as exc:
        ok, reason, verdicts = runs.verdict(check, context, [f"DNS query to {check['server']} failed: {type(exc).__name__} {exc}"])
        return {"ok": ok, "reason": reason, "conditions": verdicts,
                "response_time_ms": round((time.perf_counter() - started) * 1000, 1)}
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    context.update(CONNECTED=True, RESPONSE_TIME=elapsed, DNS_RCODE=dns.rcode.to_text(answer.rcode()),
                   BODY=_dns_body(answer.answer))
    ok, reason, verdicts = runs.verdict(check, context, [])
    if ok and not check.get("conditions"):
        reason = f"{check['host']} {query_type} -> {context['BODY'] or '(no answer)'} ({context['DNS_RCODE']})"
    return {"ok": ok, "reason": reason, "conditions": verdicts, "response_time_ms": elapsed}


async def run_dns(check: dict, allow_private: bool = False) -> dict:
    if check.get("server"):
        return await run_dns_query(check, allow_private)
    started = time.perf_counter()
    try:
        infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(check["host"], None), check.get("timeout", 5))
    except (TimeoutError, OSError) as exc:
        error = f"{check['host']} does not resolve: {exc}"
        if check.get("conditions"):
            ok, reason, verdicts = runs.verdict(check, {"CONNECTED": False}, [error])
            return {"ok": ok, "reason": reason, "conditions": verdicts, "addresses": []}
        return {"ok": False, "reason": error, "addresses": []}
    addresses = sorted({info[4][0] for info in infos})
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    if check.get("conditions"):
        # the system resolver gives addresses, not a response code: [DNS_RCODE] needs a server
        context = {"CONNECTED": True, "BODY": addresses[0], "IP": addresses[0], "RESPONSE_TIME": elapsed}
        ok, reason, verdicts = runs.verdict(check, context, [])
        return {"ok": ok, "reason": reason, "conditions": verdicts, "addresses": addresses, "response_time_ms": elapsed}
    expected = check.get("expect")
    ok = not expected or expected in addresses
    reason = f"{check['host']} -> {', '.join(addresses)}" if ok else f"{expected} not in {addresses}"
    return {"ok": ok, "reason": reason, "addresses": addresses, "response_time_ms": elapsed}


async def _watch_domain(check: dict, result: dict, domains, now: datetime) -> None:
    """A watched domain's expiry date, for the expiry warnings (RDAP answers are cached for days;
    a registry that does not answer leaves the run's verdict alone)."""
    domain = service.domain_of(check)
    if domains is None or not domain:
        return
    try:
        result["domain_expires_at"] = (await domains.expiration(domain, now)).isoformat()
    except rdap.RdapError as exc:
        result["domain_expiry_error"] = str(exc)


async def run_one(check: dict, session: aiohttp.ClientSession, *, allow_private: bool, now: datetime | None = None,
                  domains=None, blocking: datastores.Blocking | None = None,
                  certificates: Certificates | None = None) -> dict:
    now = now or datetime.now(UTC)
    try:
        kind = check["kind"]
        if kind == "tcp":
            result = await run_tcp(check, allow_private, now, domains)
        elif kind == "dns":
            result = await run_dns(check, allow_private)
        elif kind == "sql":
            pool = blocking or datastores.Blocking(1)
            try:
                result = await datastores.run_sql(check, allow_private, pool)
            finally:
                if blocking is None:
                    pool.close()
        elif kind == "redis":
            result = await datastores.run_redis(check, allow_private)
        elif kind == "icmp":
            result = await icmp.run_icmp(check, allow_private)
        else:
            result = await run_http(check, session, now, allow_private, domains, certificates)
        if check.get("watch_domain"):
            await _watch_domain(check, result, domains, now)
    except Exception as exc:  # a check must yield a verdict, whatever went wrong
        result = {"ok": False, "reason": f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"}
    # A reason may quote the checked endpoint's body: cleaned here, it is text an agent can send
    # (the server refuses control characters, issue 21) and every output can show.
    result["reason"] = clean(str(result.get("reason", "")))
    result["at"] = now.isoformat()
    return result


def session(concurrency: int, allow, local_addr: str | None = None):
    """The checks' HTTP session: keep-alive, at most ``concurrency`` connections, DNS through
    the GuardedResolver (``allow()`` gives the private-target rule)."""
    return outbound.check_session(limit=concurrency, local_addr=local_addr, resolver=GuardedResolver(allow))


async def run_many(checks: list[dict], session: aiohttp.ClientSession, *, concurrency: int, allow_private,
                   now: datetime | None = None, domains=None, blocking: datastores.Blocking | None = None,
                   certificates: Certificates | None = None) -> list[dict]:
    """Run checks with at most ``concurrency`` in flight; results in the same order. ``domains``:
    an ``rdap.DomainExpiry`` (its cache outlives a batch) for [DOMAIN_EXPIRATION]; ``blocking``:
    the threads SQL drivers run on (its size bounds the queries in flight)."""
    semaphore = asyncio.Semaphore(concurrency)

    async def guarded(check):
        async with semaphore:
            return await run_one(check, session, allow_private=allow_private, now=now, domains=domains,
                                 blocking=blocking, certificates=certificates)

    return await asyncio.gather(*(guarded(c) for c in checks))


class Engine:
    """Runs batches of checks with at most `concurrency` in flight. The server's engine opens
    sealed DSN passwords (``secrets_key``) just before a run."""

    def __init__(self, *, concurrency: int = 200, allow_private: bool = False, domains=None,
                 blocking_concurrency: int = 16, secrets_key: list[str] | None = None):
        self.concurrency = concurrency
        self.allow_private = allow_private
        self.domains = domains
        self.blocking = datastores.Blocking(blocking_concurrency)
        self.certificates = Certificates()
        self.secrets_key = secrets_key

    async def run_batch(self, checks: list[dict], now: datetime | None = None) -> list[dict]:
        ready = [sealing.runnable(check, keys=self.secrets_key) for check in checks]
        async with session(self.concurrency, lambda: self.allow_private) as http:
            return await run_many(ready, http, concurrency=self.concurrency, allow_private=self.allow_private, now=now,
                                  domains=self.domains, blocking=self.blocking, certificates=self.certificates)

    @contextlib.asynccontextmanager
    async def open(self):
        """A probe ``await probe(check, now)`` for a scheduler that keeps one loop and one
        keep-alive session (at most ``concurrency`` connections) for its life, and bounds the
        runs in flight itself: a fixed set of ``concurrency`` runners taking claimed checks
        from a queue, rather than a task per check waiting on a semaphore (at a backlog of
        thousands, waking the next waiter of an asyncio.Semaphore was a fifth of the CPU)."""
        async with session(self.concurrency, lambda: self.allow_private) as http:
            async def probe(check: dict, now: datetime) -> dict:
                return await run_one(sealing.runnable(check, keys=self.secrets_key), http,
                                     allow_private=self.allow_private, now=now, domains=self.domains,
                                     blocking=self.blocking, certificates=self.certificates)

            yield probe

    def run(self, checks: list[dict], now: datetime | None = None) -> list[dict]:
        return asyncio.run(self.run_batch(checks, now))

    def close(self) -> None:
        self.blocking.close()
