"""When a domain's registration expires, through RDAP (RFC 9082/9083), for [DOMAIN_EXPIRATION].

The IANA bootstrap file (RFC 9224, ``RDAP_BOOTSTRAP_URL``) maps a TLD to its registry's RDAP
servers; the registry answers ``GET <server>/domain/<name>`` with events, one of which is the
``expiration``. A check's host may be a subdomain the registry does not know, so the name is
asked as given, then without its first label, down to the TLD plus one label.

Expiry dates move once a year, and registries throttle, so answers are kept in process (as Gatus
does): 10 days while the expiry is more than 30 days away, 3 days while it is more than a day
away, an hour after that; a failure is not asked again for 15 minutes, and a known date is used
while a refresh fails. The bootstrap file itself is kept a day.
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime

import aiohttp
from polystatus import outbound
from polystatus.clock import parse_iso

DAY = 86400
IANA_BOOTSTRAP = "https://data.iana.org/rdap/dns.json"


class RdapError(Exception):
    pass


class DomainExpiry:
    def __init__(self, bootstrap_url: str, *, timeout: float = 10.0, clock=time.monotonic):
        self.bootstrap_url = bootstrap_url
        self.timeout = timeout
        self.clock = clock
        self._bootstrap: tuple[float, dict[str, list[str]]] | None = None
        self._answers: dict[str, tuple[float, datetime | None, str]] = {}
        self._locks: dict[int, asyncio.Lock] = {}  # per event loop: each engine batch runs its own

    def _lock(self) -> asyncio.Lock:
        loop = id(asyncio.get_running_loop())
        if loop not in self._locks:
            self._locks = {loop: asyncio.Lock()}
        return self._locks[loop]

    async def expiration(self, hostname: str, now: datetime) -> datetime:
        """The expiry date of the domain ``hostname`` belongs to; raises RdapError."""
        hostname = hostname.rstrip(".").lower()
        async with self._lock():  # one question per domain at a time, however many checks ask
            cached = self._answers.get(hostname)
            if cached and cached[0] > self.clock():
                if cached[1] is None:
                    raise RdapError(cached[2])
                return cached[1]
            try:
                expires = await self._ask(hostname)
            except RdapError as exc:
                if cached and cached[1] is not None:
                    return cached[1]  # a refresh failed: the date we know still holds
                self._answers[hostname] = (self.clock() + 900, None, str(exc))
                raise
            remaining = (expires - now).total_seconds()
            keep = 10 * DAY if remaining > 30 * DAY else (3 * DAY if remaining > DAY else 3600)
            self._answers[hostname] = (self.clock() + keep, expires, "")
            return expires

    async def _servers(self, session: aiohttp.ClientSession) -> dict[str, list[str]]:
        if self._bootstrap and self._bootstrap[0] > self.clock():
            return self._bootstrap[1]
        try:
            async with session.get(self.bootstrap_url, timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                response.raise_for_status()
                document = await response.json(content_type=None)
            servers = {tld.lower(): urls for tlds, urls in document["services"] for tld in tlds}
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
            raise RdapError(f"the RDAP bootstrap file could not be read: {type(exc).__name__} {exc}".strip()) from None
        self._bootstrap = (self.clock() + DAY, servers)
        return servers

    async def _ask(self, hostname: str) -> datetime:
        labels = hostname.split(".")
        if len(labels) < 2:
            raise RdapError(f"{hostname} is not a domain name")
        async with outbound.check_session(limit=4) as session:
            servers = (await self._servers(session)).get(labels[-1])
            if not servers:
                raise RdapError(f"no RDAP server is known for .{labels[-1]}")
            base = next((s for s in servers if s.startswith("https://")), servers[0])
            for start in range(len(labels) - 1):
                name = ".".join(labels[start:])
                document = await self._domain(session, base, name)
                if document is not None:
                    return _expiration(document, name)
        raise RdapError(f"the registry does not know {hostname}")

    async def _domain(self, session: aiohttp.ClientSession, base: str, name: str) -> dict | None:
        url = f"{base.rstrip('/')}/domain/{name}"
        try:
            async with session.get(url, headers={"Accept": "application/rdap+json"},
                                   timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                if response.status == 404:
                    return None
                response.raise_for_status()
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise RdapError(f"RDAP query for {name} failed: {type(exc).__name__} {exc}".strip()) from None


def _expiration(document, name: str) -> datetime:
    events = document.get("events") if isinstance(document, dict) else None
    for event in events if isinstance(events, list) else []:
        if isinstance(event, dict) and event.get("eventAction") == "expiration":
            try:
                return parse_iso(event.get("eventDate"))
            except ValueError:
                break
    raise RdapError(f"no expiration event in the RDAP answer for {name}")
