"""One read-only query against PostgreSQL, MySQL/MariaDB or SQL Server (the ``sql`` check kind).

The drivers are well-kept and blocking (psycopg 3, PyMySQL, python-tds), imported only when a
check of their database runs (the ``sql`` extra installs them): the engine calls ``query`` on a
thread of its bounded pool, so a slow database never stalls the HTTP checks.

How each session is kept read-only, as far as the database allows:

- PostgreSQL: ``default_transaction_read_only=on`` for the session, then ``SET TRANSACTION READ
  ONLY``; the query is sent as a prepared statement, which PostgreSQL refuses to hold several
  statements (so ``COMMIT; INSERT …`` cannot leave the read-only transaction);
  ``statement_timeout`` set from the check's timeout.
- MySQL/MariaDB: ``SET SESSION TRANSACTION READ ONLY`` (DDL, which commits implicitly, is
  refused too) and ``START TRANSACTION READ ONLY``; multi-statements off (PyMySQL's default);
  ``max_statement_time`` (MariaDB) or ``max_execution_time`` (MySQL), plus socket timeouts.
- SQL Server: ``ApplicationIntent=ReadOnly`` (routes to a readable secondary in an availability
  group) and a transaction that is always rolled back: SQL Server has no read-only session, so
  give the check a login that can only read (``db_datareader``), as everywhere.

Every transaction is rolled back. The connection is made to the address the engine checked
against the private-target rule (the name kept for TLS where the driver allows it).
"""
from __future__ import annotations

import math
import os
import socket
import threading

from . import kinds

APPLICATION = "polystatus-check"


class QueryError(Exception):
    """The check's verdict-worthy failure: ``connected`` tells [CONNECTED]."""

    def __init__(self, message: str, *, connected: bool):
        super().__init__(message)
        self.connected = connected


class Abort:
    """Lets the engine cut a query that outlived its timeout: shutting the socket down wakes the
    blocked driver at once (closing it from another thread would not)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sock: socket.socket | None = None
        self.aborted = False

    def watch(self, sock: socket.socket | None) -> None:
        with self.lock:
            self.sock = sock
            if self.aborted:
                self._shutdown()

    def abort(self) -> None:
        with self.lock:
            self.aborted = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _missing(module: str) -> QueryError:
    return QueryError(f"the {module} driver is not installed here (pip install 'polystatus-csp-status[sql]')",
                      connected=False)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip().rstrip(":")


def query(dsn: kinds.Dsn, password: str | None, sql: str, *, address: str, timeout: float,
          abort: Abort) -> tuple[list[str], list[tuple]]:
    """(column names, at most ``kinds.MAX_ROWS`` rows), or QueryError. Blocking."""
    run = {"postgresql": _postgresql, "mysql": _mysql, "mssql": _mssql}[dsn.family]
    return run(dsn, password, sql, address=address, timeout=timeout, abort=abort)


def _fetch(cursor) -> tuple[list[str], list[tuple]]:
    if cursor.description is None:
        return [], []
    columns = [column[0] for column in cursor.description]
    return columns, list(cursor.fetchmany(kinds.MAX_ROWS))


def _postgresql(dsn, password, sql, *, address, timeout, abort):
    try:
        import psycopg
    except ImportError:
        raise _missing("PostgreSQL (psycopg)") from None
    ms = max(1, int(timeout * 1000))
    try:
        # host stays the name (TLS verification), hostaddr is the checked address (no second lookup)
        conn = psycopg.connect(host=dsn.host, hostaddr=address, port=dsn.port, dbname=dsn.database,
                               user=dsn.user, password=password, connect_timeout=max(2, math.ceil(timeout)),
                               sslmode=dsn.params.get("sslmode", "prefer"), application_name=APPLICATION,
                               options=f"-c default_transaction_read_only=on -c statement_timeout={ms} "
                                       f"-c idle_in_transaction_session_timeout={ms + 1000}")
    except psycopg.Error as exc:
        raise QueryError(_first_line(exc), connected=False) from None
    try:
        abort.watch(socket.socket(fileno=os.dup(conn.pgconn.socket)))
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute(sql, prepare=True)
            return _fetch(cursor)
    except psycopg.Error as exc:
        raise QueryError(_pg_message(exc), connected=True) from None
    finally:
        _close(conn, abort)


def _pg_message(exc) -> str:
    state = getattr(exc, "sqlstate", None)
    return f"{_first_line(exc)}{f' (SQLSTATE {state})' if state else ''}"


def _close(conn, abort: Abort) -> None:
    try:
        conn.rollback()
    except Exception:  # noqa: S110 - the connection may be gone; closing is all that is left
        pass
    try:
        conn.close()
    except Exception:  # noqa: S110
        pass
    if abort.sock is not None:
        abort.sock.close()


def _mysql(dsn, password, sql, *, address, timeout, abort):
    try:
        import pymysql
    except ImportError:
        raise _missing("MySQL (PyMySQL)") from None
    ssl = None
    if dsn.params.get("ssl") == "true":
        import ssl as ssl_module

        # PyMySQL checks the certificate against the host it connects to: the name, resolved
        # again by the driver (the address was checked just before).
        ssl = ssl_module.create_default_context()
    try:
        conn = pymysql.connect(host=dsn.host if ssl else address, port=dsn.port, user=dsn.user or "",
                               password=password or "", database=dsn.database, connect_timeout=timeout,
                               read_timeout=timeout + 1, write_timeout=timeout + 1, autocommit=False,
                               program_name=APPLICATION, ssl=ssl, client_flag=0)
    except pymysql.MySQLError as exc:
        raise QueryError(_mysql_message(exc), connected=False) from None
    try:
        abort.watch(conn._sock)  # noqa: SLF001 - PyMySQL exposes no other handle on its socket
        with conn.cursor() as cursor:
            _mysql_timeout(cursor, timeout, pymysql)
            # the session too: DDL commits implicitly, leaving the transaction, but not the session
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.execute("START TRANSACTION READ ONLY")
            cursor.execute(sql)
            return _fetch(cursor)
    except pymysql.MySQLError as exc:
        raise QueryError(_mysql_message(exc), connected=True) from None
    finally:
        abort.sock = None  # PyMySQL closes its own socket
        _close(conn, abort)


def _mysql_timeout(cursor, timeout: float, pymysql) -> None:
    try:
        cursor.execute(f"SET SESSION max_statement_time = {timeout:.3f}")  # MariaDB
    except pymysql.err.OperationalError:
        cursor.execute(f"SET SESSION max_execution_time = {int(timeout * 1000)}")  # MySQL


def _mysql_message(exc) -> str:
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return f"{type(exc).__name__}: ({args[0]}) {args[1]}"
    return _first_line(exc)


def _mssql(dsn, password, sql, *, address, timeout, abort):
    try:
        import pytds
    except ImportError:
        raise _missing("SQL Server (python-tds)") from None
    try:
        sock = socket.create_connection((address, dsn.port), timeout=timeout)
    except OSError as exc:
        raise QueryError(f"cannot connect to {dsn.host}:{dsn.port}: {_first_line(exc)}", connected=False) from None
    abort.watch(sock)
    try:
        conn = pytds.connect(dsn=dsn.host, port=dsn.port, database=dsn.database, user=dsn.user,
                             password=password, login_timeout=timeout, timeout=timeout, appname=APPLICATION,
                             readonly=True, autocommit=False, sock=sock, disable_connect_retry=True)
    except (pytds.Error, OSError) as exc:
        abort.abort()
        sock.close()
        raise QueryError(_first_line(exc), connected=False) from None
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return _fetch(cursor)
    except (pytds.Error, OSError) as exc:
        raise QueryError(_first_line(exc), connected=True) from None
    finally:
        abort.sock = None  # pytds owns the socket now and closes it
        _close(conn, abort)
