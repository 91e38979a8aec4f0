"""The kinds of check that ask a datastore or a host rather than a URL (Bresse's "client asking
for a data"): ``sql``, ``redis`` and ``icmp``. What their connection strings may say, what they
may send, how their passwords are named, and the placeholders their conditions read. Pure.

A DSN's password is a secret: it is sealed before it is stored (``sealing``) and masked in every
answer (``mask``), as comms masks channel URLs. Or the check names where the password is:
``password_env: CHECK_SECRET_SHOP_DB`` reads that variable, or the file named by
``CHECK_SECRET_SHOP_DB_FILE``, on whichever machine runs the check (the server, or an agent, each
holding its own). Only ``CHECK_SECRET_*`` names are accepted, so a check cannot send the
service's own secrets (``SERVICE_CLIENT_SECRET``, ...) to a database its author controls.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import re
import shlex
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from polystatus.errors import Invalid

from . import expressions

SQL_SCHEMES = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql", "mariadb": "mysql",
               "mssql": "mssql", "sqlserver": "mssql"}
REDIS_SCHEMES = {"redis": "redis", "rediss": "redis"}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mssql": 1433, "redis": 6379}
# The options a DSN may carry, per database (anything else is refused, not silently ignored).
PARAMS = {"postgresql": {"sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")},
          "mysql": {"ssl": ("true", "false")},
          "mssql": {},
          "redis": {}}
MASK = "****"
SECRET_ENV = re.compile(r"^CHECK_SECRET_[A-Z0-9_]{1,64}$")
MAX_ROWS = 1000  # rows read of a result: [ROW_COUNT] counts at most this many
MAX_QUERY = 10_000

# Redis commands a check may send: read-only ones, each with how many arguments it takes.
REDIS_COMMANDS = {
    "PING": (0, 1), "ECHO": (1, 1), "GET": (1, 1), "MGET": (1, 20), "EXISTS": (1, 20), "TYPE": (1, 1),
    "TTL": (1, 1), "PTTL": (1, 1), "STRLEN": (1, 1), "GETRANGE": (3, 3), "HGET": (2, 2), "HMGET": (2, 20),
    "HGETALL": (1, 1), "HLEN": (1, 1), "HEXISTS": (2, 2), "LLEN": (1, 1), "LINDEX": (2, 2), "LRANGE": (3, 3),
    "SCARD": (1, 1), "SISMEMBER": (2, 2), "SMEMBERS": (1, 1), "ZCARD": (1, 1), "ZSCORE": (2, 2),
    "ZCOUNT": (3, 3), "ZRANGE": (3, 4), "XLEN": (1, 1), "DBSIZE": (0, 0), "INFO": (0, 1), "JSON.GET": (1, 10),
}

expressions.register("ROWS", "json", "sql: the rows returned, as objects by column name ([ROWS][0].status, "
                     "len([ROWS])); a NULL shows as NULL", null_text="NULL")
expressions.register("ROW_COUNT", "number", f"sql: how many rows the query returned (at most {MAX_ROWS} are read)")
expressions.register("RESULT", "json", "redis: the command's answer (text, number or list; a JSON value can be "
                     "walked: [RESULT].field); nil shows as NULL", null_text="NULL")
expressions.register("PACKET_LOSS", "number", "icmp: share of echo requests left unanswered, in percent")


@dataclass(frozen=True)
class Dsn:
    family: str  # postgresql | mysql | mssql | redis
    scheme: str  # as written (rediss: TLS)
    host: str
    port: int
    user: str | None = None
    password: str | None = None
    database: str | None = None
    params: dict = field(default_factory=dict)


def _bad(message: str) -> Invalid:
    return Invalid(message, details={"dsn": [message]})


def parse_dsn(text: str) -> Dsn:
    """``postgresql://user:password@host:5432/db?sslmode=require``, ``mysql://…``, ``mssql://…``,
    ``redis://:password@host:6379/0``, ``rediss://…``; Invalid naming what is wrong."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise _bad(f"Not a DSN: {exc}.") from None
    scheme = parts.scheme.lower()
    family = SQL_SCHEMES.get(scheme) or REDIS_SCHEMES.get(scheme)
    if family is None:
        raise _bad("A DSN starts with postgresql://, mysql://, mariadb://, mssql://, redis:// or rediss://.")
    if not parts.hostname:
        raise _bad("The DSN names no host (Unix sockets are not checked: give a host and port).")
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name, value in params.items():
        allowed = PARAMS[family].get(name)
        if allowed is None:
            known = ", ".join(PARAMS[family]) or "none"
            raise _bad(f"Unknown DSN option {name!r} for {family} (known: {known}).")
        if value not in allowed:
            raise _bad(f"DSN option {name} is one of {', '.join(allowed)}.")
    database = unquote(parts.path.lstrip("/")) or None
    if family == "redis" and database is not None and not database.isdigit():
        raise _bad("A redis DSN's path is a database number: redis://host:6379/0.")
    return Dsn(family, scheme, parts.hostname, port or DEFAULT_PORTS[family],
               unquote(parts.username) if parts.username else None,
               unquote(parts.password) if parts.password is not None else None, database, params)


def _netloc(dsn_text: str, password: str | None) -> str:
    parts = urlsplit(dsn_text)
    hostport = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    if password is None:
        return f"{user}@{hostport}" if user else hostport
    return f"{user}:{password}@{hostport}"


def with_password(dsn_text: str, password: str | None) -> str:
    """The DSN with ``password`` in place of the one written (None: without one)."""
    parts = urlsplit(dsn_text)
    secret = quote(password, safe="*") if password is not None else None  # * is allowed there: **** stays
    return parts._replace(netloc=_netloc(dsn_text, secret)).geturl()


def mask(dsn_text: str) -> str:
    """The DSN as any answer shows it: the password, if any, replaced by ****."""
    parts = urlsplit(dsn_text)
    return with_password(dsn_text, MASK) if parts.password is not None else dsn_text


def redis_command(text: str) -> list[str]:
    """``GET "app status"`` -> ["GET", "app status"]; only the read-only commands above."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise Invalid(f"The command does not parse: {exc}.", details={"command": ["Does not parse."]}) from None
    if not words:
        raise Invalid("The command is empty.", details={"command": ["Empty."]})
    name = words[0].upper()
    if name not in REDIS_COMMANDS:
        raise Invalid(f"{words[0]} is not one of the read-only commands a check may send: "
                      f"{', '.join(sorted(REDIS_COMMANDS))}.", details={"command": ["Not an allowed command."]})
    low, high = REDIS_COMMANDS[name]
    if not low <= len(words) - 1 <= high:
        raise Invalid(f"{name} takes {low}-{high} arguments here.", details={"command": ["Wrong argument count."]})
    return [name, *words[1:]]


def check_password_source(check: dict, dsn: Dsn) -> None:
    name = check.get("password_env")
    if name and not SECRET_ENV.match(name):
        raise Invalid("password_env names a variable CHECK_SECRET_<NAME> (upper case, digits, _); the value is read "
                      "from it or from the file named by CHECK_SECRET_<NAME>_FILE.",
                      details={"password_env": ["Not a CHECK_SECRET_* name."]})
    if name and dsn.password is not None:
        raise Invalid("Give the password in the DSN or in password_env, not both.",
                      details={"password_env": ["The DSN has a password too."]})


def rules(check: dict) -> None:
    """The rules of the sql, redis and icmp kinds (``service.check_rules`` calls this)."""
    kind = check["kind"]
    if kind == "icmp":
        if not check.get("host"):
            raise Invalid("An icmp check needs host.", details={"host": ["Required."]})
        return
    if not check.get("dsn"):
        raise Invalid(f"A {kind} check needs a dsn.", details={"dsn": ["Required."]})
    dsn = parse_dsn(check["dsn"])
    if kind == "sql" and dsn.family == "redis":
        raise _bad("A sql check's DSN is postgresql://, mysql:// or mssql:// (redis:// is the redis kind).")
    if kind == "redis" and dsn.family != "redis":
        raise _bad("A redis check's DSN is redis:// or rediss://.")
    check_password_source(check, dsn)
    if kind == "sql":
        query = (check.get("query") or "").strip()
        if not query:
            raise Invalid("A sql check needs a query.", details={"query": ["Required."]})
    elif check.get("command"):
        redis_command(check["command"])


# --- a row as conditions read it ------------------------------------------------------------------
def value(raw):
    """A database value as JSON: numbers stay numbers, dates become ISO text, bytes \\x-hex."""
    if raw is None or isinstance(raw, (bool, int, float, str)):
        return raw
    if isinstance(raw, decimal.Decimal):
        return int(raw) if raw == raw.to_integral_value() else float(raw)
    if isinstance(raw, (dt.datetime, dt.date, dt.time)):
        return raw.isoformat()
    if isinstance(raw, dt.timedelta):
        return raw.total_seconds()
    if isinstance(raw, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(raw).hex()
    if isinstance(raw, uuid.UUID):
        return str(raw)
    if isinstance(raw, (list, tuple)):
        return [value(v) for v in raw]
    if isinstance(raw, dict):
        return {str(k): value(v) for k, v in raw.items()}
    return str(raw)


def rows_as_objects(columns: list[str], rows: list) -> list[dict]:
    return [{name: value(cell) for name, cell in zip(columns, row, strict=False)} for row in rows]


def redis_value(raw):
    """A Redis answer as conditions read it: text (a JSON text stays text: paths parse it), numbers,
    lists, maps; nil is None."""
    if isinstance(raw, bytes):
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(raw).decode()
    if isinstance(raw, (list, tuple)):
        return [redis_value(v) for v in raw]
    if isinstance(raw, dict):
        return {str(redis_value(k)): redis_value(v) for k, v in raw.items()}
    return raw
