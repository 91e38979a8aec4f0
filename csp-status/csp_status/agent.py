"""A vantage-point agent: `python -m csp_status.agent --server URL --region NAME`.

Bresse ran its checks from a cluster spread over several network providers so that "down"
meant down for everyone, not a bad route from one place. An agent is that, as a small process
for any machine: it needs no Redis and no database, only HTTP to the csp-status server.

- It fetches its assignments (the checks its region runs) every ``refresh_s`` seconds, with an
  ETag so an unchanged list costs a 304.
- It runs each check on its interval, spread over the interval so a restart does not fire
  every check in the same second, on the same engine as the server (aiohttp, with a
  concurrency limit).
- It posts results in batches. While the server is unreachable it keeps them in memory (up to
  ``--buffer`` results; beyond that the oldest are dropped and counted in the log) and sends
  them when the server is back, oldest first. Every result has an id, so a batch whose answer
  was lost can be posted again without being counted twice.

The token comes from ``--token``, ``AGENT_TOKEN`` or ``--token-file`` (the launcher writes one
after creating the demo agent; the agent waits for it to appear).
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import random
import secrets
import signal
import sys
import time
from datetime import UTC, datetime

import aiohttp
from polystatus import error_reports, logs, outbound, settings
from polystatus.errors import Invalid

from .checks import datastores, engine, rdap, spec

log = logging.getLogger("csp_status.agent")
VERSION = "0.1.0"


class TokenRefused(Exception):
    """The server does not know this token (revoked, or never created)."""


class Agent:
    def __init__(self, server: str, token: str, *, region: str | None = None, batch_size: int = 500,
                 buffer_limit: int = 50_000, concurrency: int = 100, timeout: float = 10.0,
                 now=time.time, token_source=None, source_address: str | None = None,
                 rdap_bootstrap: str = rdap.IANA_BOOTSTRAP, blocking_concurrency: int = 8):
        self.server = server.rstrip("/")
        self.token = token
        self.token_source = token_source  # re-read after a refusal (a token file rewritten)
        self.source_address = source_address
        self.domains = rdap.DomainExpiry(rdap_bootstrap)  # [DOMAIN_EXPIRATION], cached for the agent's life
        # sql checks' drivers block: they run on these threads, at most blocking_concurrency at once
        self.blocking = datastores.Blocking(blocking_concurrency)
        self.certificates = engine.Certificates()  # expiry dates for the warnings, kept hours
        self.region = region
        self.batch_size = batch_size
        self.buffer: collections.deque[dict] = collections.deque(maxlen=buffer_limit)
        self.dropped = 0
        self.concurrency = concurrency
        self.timeout = timeout
        self.now = now
        self.checks: dict[str, dict] = {}
        self.next_run: dict[str, float] = {}
        self.allow_private = False
        self.refresh_s = 30
        self.etag: str | None = None
        self.fetched_at = 0.0
        self.backoff = 0.0
        self.retry_at = 0.0

    # --- talking to the server --------------------------------------------------------------
    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}", "X-Agent-Version": VERSION}

    async def fetch_assignments(self, session: aiohttp.ClientSession) -> bool:
        """Refresh the assignments; True if they changed. Raises on a refused token."""
        headers = self._headers()
        if self.etag:
            headers["If-None-Match"] = self.etag
        async with session.get(f"{self.server}/agent/assignments", headers=headers,
                               timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
            self.fetched_at = self.now()
            if response.status == 304:
                return False
            if response.status == 401:
                raise TokenRefused("the server refused this agent's token (revoked, or for another server)")
            response.raise_for_status()
            body = await response.json()
        region = body["agent"]["region"]
        if self.region and self.region != region:
            raise TokenRefused(f"this token belongs to region {region!r}, not {self.region!r}")
        self.region = region
        self.etag = response.headers.get("ETag")
        self.allow_private = body.get("allow_private", False)
        self.refresh_s = int(body.get("refresh_s", 30))
        self.apply(body["checks"])
        return True

    def apply(self, checks: list[dict]) -> None:
        """New checks start at a random point of their interval; changed ones keep their slot.
        Each assignment passes the same check spec as the server's (an agent older or newer
        than its server skips, and says so, a check it cannot judge rather than misjudge it)."""
        now = self.now()
        fresh = {}
        for check in checks:
            try:
                spec.validate(check, allow_private=self.allow_private, resolve=False)
            except (Invalid, KeyError) as exc:
                log.error("check %s (%s) skipped: %s %s", check.get("id"), check.get("name"),
                          getattr(exc, "message", exc), getattr(exc, "details", "") or "")
                continue
            fresh[check["id"]] = check
        for check_id, check in fresh.items():
            if check_id not in self.next_run:
                self.next_run[check_id] = now + random.uniform(0, min(check.get("interval", 60), 10))  # noqa: S311
        for gone in set(self.next_run) - set(fresh):
            del self.next_run[gone]
        added = len(set(fresh) - set(self.checks))
        self.checks = fresh
        log.info("region %s: %d checks assigned (%d new)", self.region, len(fresh), added)

    async def flush(self, session: aiohttp.ClientSession) -> int:
        """Post buffered results, oldest first; returns how many the server took."""
        sent = 0
        while self.buffer:
            batch = [self.buffer[i] for i in range(min(self.batch_size, len(self.buffer)))]
            payload = {"results": batch, "buffered": len(self.buffer) - len(batch), "version": VERSION}
            async with session.post(f"{self.server}/agent/results", json=payload, headers=self._headers(),
                                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                if response.status == 401:
                    raise TokenRefused("the server refused this agent's token (revoked?)")
                if response.status in (400, 422):
                    # A batch the server can never take (a bug, or a check config it now refuses):
                    # keeping it would block every later result behind it.
                    log.error("the server refused a batch of %d results: %s", len(batch), (await response.text())[:500])
                else:
                    response.raise_for_status()
                    answer = await response.json()
                    if answer.get("unknown"):
                        log.info("results for checks no longer assigned: %s", ", ".join(answer["unknown"][:10]))
            for _ in batch:
                self.buffer.popleft()
            sent += len(batch)
        return sent

    # --- running checks ---------------------------------------------------------------------
    def due(self) -> list[dict]:
        now = self.now()
        ready = [self.checks[i] for i, at in self.next_run.items() if at <= now and i in self.checks]
        for check in ready:
            interval = check.get("interval", 60)
            # Keep the rhythm; after a long stall, start again from now rather than catching up.
            following = self.next_run[check["id"]] + interval
            self.next_run[check["id"]] = following if following > now else now + interval
        return ready

    def keep(self, check: dict, result: dict) -> None:
        if len(self.buffer) == self.buffer.maxlen:
            self.dropped += 1
            if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                log.warning("buffer full (%d results): %d oldest results dropped so far", self.buffer.maxlen, self.dropped)
        item = {"id": secrets.token_urlsafe(12), "check_id": check["id"], "ok": bool(result["ok"]),
                "reason": str(result.get("reason", ""))[:2000], "at": result["at"]}
        for key in ("status", "response_time_ms", "lag_s", "row_count", "packet_loss", "certificate_expires_at",
                    "domain_expires_at"):
            if result.get(key) is not None:
                item[key] = result[key]
        self.buffer.append(item)

    async def run_due(self, session: aiohttp.ClientSession) -> int:
        checks = self.due()
        if not checks:
            return 0
        results = await engine.run_many(checks, session, concurrency=self.concurrency,
                                        allow_private=self.allow_private, now=datetime.now(UTC), domains=self.domains,
                                        blocking=self.blocking, certificates=self.certificates)
        for check, result in zip(checks, results, strict=True):
            self.keep(check, result)
        return len(checks)

    # --- the loop ---------------------------------------------------------------------------
    async def step(self, api: aiohttp.ClientSession, checks_session: aiohttp.ClientSession) -> None:
        """One turn: refresh assignments when due, run due checks, send what is buffered."""
        now = self.now()
        if now >= self.retry_at:
            try:
                if not self.checks or now - self.fetched_at >= self.refresh_s:
                    await self.fetch_assignments(api)
                await self.flush(api)
                if self.backoff:
                    log.info("server reachable again; buffer emptied")
                self.backoff = 0.0
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.backoff = min(60.0, max(1.0, self.backoff * 2))
                self.retry_at = now + self.backoff
                log.warning("server unreachable (%s); %d results buffered, retrying in %.0f s",
                            type(exc).__name__, len(self.buffer), self.backoff)
            except TokenRefused as exc:
                # Not fatal: an operator fixes the token (file) and the agent picks it up; in the
                # meantime the checks keep running and their results wait in the buffer.
                self.backoff, self.retry_at, self.etag = 60.0, now + 60.0, None
                if self.token_source:
                    self.token = self.token_source() or self.token
                log.error("%s; %d results buffered, trying again in 60 s", exc, len(self.buffer))
        await self.run_due(checks_session)

    def sessions(self):
        """One session to the server, one for the checks (the server's private-target rule, as
        last fetched, applies to every address the checks resolve)."""
        return (outbound.check_session(limit=4),
                engine.session(self.concurrency, lambda: self.allow_private, self.source_address))

    async def once(self) -> int:
        """Run every assigned check now and send the results (``--once``: from cron, or to try
        a new agent by hand). Returns how many results are still buffered."""
        api_session, checks_session = self.sessions()
        async with api_session as api, checks_session as checks:
            await self.fetch_assignments(api)
            self.next_run = dict.fromkeys(self.checks, 0.0)
            await self.run_due(checks)
            await self.flush(api)
        return len(self.buffer)

    async def run(self, stop: asyncio.Event, alive_file: str | None = None) -> None:
        api_session, checks_session = self.sessions()
        async with api_session as api, checks_session as checks:
            while not stop.is_set():
                await self.step(api, checks)
                if alive_file:
                    try:
                        with open(alive_file, "w") as handle:
                            handle.write(str(time.time()))
                    except OSError:
                        pass
                try:
                    await asyncio.wait_for(stop.wait(), 1.0)
                except TimeoutError:
                    pass
            try:  # a last attempt, so a clean stop loses nothing that could be sent
                await self.flush(api)
            except (aiohttp.ClientError, TimeoutError, TokenRefused):
                pass
            if self.buffer:
                log.warning("stopping with %d results not sent", len(self.buffer))


def token_from_file(path: str) -> str | None:
    try:
        with open(path) as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def read_token(args) -> str:
    """The token from the command line, the environment, or a file, waiting for the file: the
    launcher starts the agent before the demo has registered it, and an operator may write the
    file later (without a token, exiting would stop the launcher's whole cluster)."""
    token = args.token or os.environ.get("AGENT_TOKEN", "").strip()
    if token:
        return token
    if not args.token_file:
        raise SystemExit("an agent token is needed: --token, AGENT_TOKEN or --token-file (POST /agents creates one)")
    waited = 0
    while True:
        token = token_from_file(args.token_file)
        if token:
            return token
        if waited % 300 == 0:
            log.info("waiting for a token in %s (POST /agents creates one)", args.token_file)
        time.sleep(1)
        waited += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PolyStatus check agent (a vantage point)")
    parser.add_argument("--server", required=True, help="the csp-status URL, e.g. https://status.example.com:5004")
    parser.add_argument("--region", help="the region this agent's token belongs to (checked against the server)")
    parser.add_argument("--token", help="the agent token (prefer AGENT_TOKEN or --token-file)")
    parser.add_argument("--token-file", help="a file holding the token")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--blocking-concurrency", type=int, default=8,
                        help="sql checks in flight at once (their drivers block, each on a thread)")
    parser.add_argument("--source-address", help="send checks from this local address (a host with several uplinks)")
    parser.add_argument("--rdap-bootstrap", default=rdap.IANA_BOOTSTRAP,
                        help="the RDAP bootstrap file for [DOMAIN_EXPIRATION] (IANA's by default)")
    parser.add_argument("--once", action="store_true", help="run every assigned check once, send, and exit")
    parser.add_argument("--buffer", type=int, default=50_000, help="results kept while the server is unreachable")
    parser.add_argument("--alive-file", default=os.environ.get("WORKER_ALIVE_FILE", "/tmp/worker-alive"))  # noqa: S108
    args = parser.parse_args(argv)
    logs.configure("csp-status-agent", os.environ.get("LOG_LEVEL", "INFO").upper(), os.environ.get("LOG_FORMAT", "json"))
    # An agent runs far from the server, often on a host nobody watches: its errors reach
    # Sentry like a worker's do (SENTRY_DSN), so a broken vantage point is seen.
    reports = error_reports.init_worker("csp-status", settings.sentry(os.environ), process="agent")
    try:
        return _run(args)
    finally:
        error_reports.finish(reports)


def _run(args) -> int:
    source = (lambda: token_from_file(args.token_file)) if args.token_file else None
    agent = Agent(args.server, read_token(args), region=args.region, concurrency=args.concurrency,
                  buffer_limit=args.buffer, source_address=args.source_address, token_source=source,
                  rdap_bootstrap=args.rdap_bootstrap, blocking_concurrency=args.blocking_concurrency)
    log.info("agent for region %s starting against %s", args.region or "(from token)", agent.server)

    if args.once:
        try:
            left = asyncio.run(agent.once())
        except (aiohttp.ClientError, TimeoutError, TokenRefused) as exc:
            log.error("could not run once: %s", exc)
            return 1
        log.info("ran %d checks; %d results not sent", len(agent.checks), left)
        return 0 if not left else 1

    async def runner() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await agent.run(stop, args.alive_file)
        return 0

    return asyncio.run(runner())


if __name__ == "__main__":
    sys.exit(main())
