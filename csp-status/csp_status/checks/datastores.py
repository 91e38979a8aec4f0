"""Running the ``sql`` and ``redis`` kinds from the async engine: Bresse's "client asking for a
data", asserting on the answer with the same conditions as HTTP checks.

A SQL driver blocks, so a query runs on a thread of ``Blocking``, a pool of bounded size: however
slow a database is, the HTTP checks of the same batch go on, and at most that many queries are in
flight. A query past the check's timeout is cut (its socket shut down), and its verdict is given
on time. Redis is asked through redis-py's asyncio connection, on the event loop itself.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import time

from polystatus.settings import SettingsError

from .. import settings
from . import kinds, runs, sql

# How long past the check's timeout a query may take before it is cut: the database's own
# statement timeout usually answers first, with a clearer message.
GRACE_S = 1.0


class Blocking:
    """The threads blocking drivers run on, with at most ``size`` calls in flight."""

    def __init__(self, size: int = 16):
        self.size = size
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=size, thread_name_prefix="check-driver")

    async def call(self, fn, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


@functools.cache
def _no_client_info() -> dict:
    """redis-py's way to send no CLIENT SETINFO (driver_info from 7.x, lib_name before)."""
    from redis.asyncio.connection import AbstractConnection

    if "driver_info" in inspect.signature(AbstractConnection.__init__).parameters:
        return {"driver_info": None}
    return {"lib_name": None, "lib_version": None}


def password_of(check: dict, dsn: kinds.Dsn) -> str | None:
    """The DSN's password, or the one the check names (read here, on the machine running it)."""
    if check.get("password_env"):
        return settings.check_secret(check["password_env"])
    return dsn.password


async def _prepare(check: dict, dsn: kinds.Dsn, allow_private, timeout: float) -> tuple[str | None, str, str | None]:
    """(password, the address to connect to, checked, or why the run cannot start)."""
    if check.get("dsn_error"):
        return None, "", check["dsn_error"]
    try:
        password = password_of(check, dsn)
        address = await runs.checked_address(dsn.host, dsn.port, allow_private, timeout)
    except (OSError, TimeoutError, SettingsError) as exc:
        return None, "", f"cannot reach {dsn.host}:{dsn.port}: {type(exc).__name__} {exc}".strip()
    return password, address, None


def _elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _outcome(check: dict, context: dict, error: str | None, default: str) -> dict:
    """An error fails the run whatever the conditions say (a query that failed is NOK, as Bresse
    says, even under ``[CONNECTED] == true``); the reason tells the error, then what failed."""
    ok, reason, verdicts = runs.verdict(check, context, [error] if error else [])
    if error:
        ok = False
    elif ok and not check.get("conditions"):
        reason = default
    return {"ok": ok, "reason": reason, "conditions": verdicts, "response_time_ms": context.get("RESPONSE_TIME", 0)}


async def run_sql(check: dict, allow_private, blocking: Blocking) -> dict:
    dsn = kinds.parse_dsn(check["dsn"])
    timeout = check.get("timeout", 10)
    context: dict = {"CONNECTED": False, "ROWS": [], "ROW_COUNT": 0, "RESPONSE_TIME": 0}
    started = time.perf_counter()
    password, address, error = await _prepare(check, dsn, allow_private, timeout)
    if error:
        return _outcome(check, context, error, "")
    abort = sql.Abort()
    error = None
    try:
        columns, rows = await asyncio.wait_for(
            blocking.call(sql.query, dsn, password, check["query"], address=address, timeout=timeout, abort=abort),
            timeout + GRACE_S)
        context.update(CONNECTED=True, ROWS=kinds.rows_as_objects(columns, rows), ROW_COUNT=len(rows))
    except TimeoutError:
        abort.abort()
        error = f"no answer from {dsn.host}:{dsn.port} within {timeout:g} s (the query was cut)"
        context["CONNECTED"] = abort.sock is not None
    except sql.QueryError as exc:
        error = str(exc)
        context["CONNECTED"] = exc.connected
    context["RESPONSE_TIME"] = _elapsed(started)
    count = context["ROW_COUNT"]
    result = _outcome(check, context, error, f"the query returned {count} row{'' if count == 1 else 's'}")
    return {**result, "row_count": count if error is None else None}


async def run_redis(check: dict, allow_private) -> dict:
    from redis import exceptions
    from redis.asyncio.connection import Connection, SSLConnection

    dsn = kinds.parse_dsn(check["dsn"])
    command = kinds.redis_command(check.get("command") or "PING")
    timeout = check.get("timeout", 10)
    context: dict = {"CONNECTED": False, "RESULT": None, "RESPONSE_TIME": 0}
    started = time.perf_counter()
    password, address, error = await _prepare(check, dsn, allow_private, timeout)
    if error:
        return _outcome(check, context, error, "")
    options = {"port": dsn.port, "db": int(dsn.database or 0), "username": dsn.user, "password": password,
               "socket_timeout": timeout, "socket_connect_timeout": timeout, "protocol": 2, "retry_on_error": [],
               # no CLIENT SETNAME / SETINFO: a login allowed only its reads must not be refused for them
               **_no_client_info()}
    # TLS verifies the certificate against the name, so rediss:// connects by name (the driver
    # resolves it again); redis:// connects to the address just checked.
    connection = SSLConnection(host=dsn.host, **options) if dsn.scheme == "rediss" else \
        Connection(host=address, **options)
    error = None
    try:
        async with asyncio.timeout(timeout + GRACE_S):
            await connection.connect()
            context["CONNECTED"] = True
            await connection.send_command(*command)
            answer = await connection.read_response()
        context["RESULT"] = kinds.redis_value(answer)
    except exceptions.ResponseError as exc:  # NOPERM, WRONGTYPE, a refused login...
        error = f"{command[0]} refused: {exc}" if context["CONNECTED"] else f"{dsn.host}:{dsn.port} refused: {exc}"
    except (exceptions.RedisError, OSError, TimeoutError) as exc:
        error = f"{dsn.host}:{dsn.port}: {type(exc).__name__} {exc}".strip()
    finally:
        await connection.disconnect()
    context["RESPONSE_TIME"] = _elapsed(started)
    shown = context["RESULT"]
    return _outcome(check, context, error, f"{command[0]} answered {str(shown)[:80] if shown is not None else 'nil'}")
