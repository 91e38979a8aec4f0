"""Redis for a service: one client per app (never at module level, so tests choose the server),
plain or through Sentinel, with timeouts short enough that a request never hangs on it.

URLs (``REDIS_URL`` and every ``*_EVENTS_URL``):

- ``redis://[[user]:password@]host:port/db``, ``rediss://…``, ``unix://…``: one server;
- ``redis+sentinel://[[user]:password@]host1:26379,host2:26379/<master-name>/<db>`` (and
  ``rediss+sentinel://`` for TLS to the data nodes): the current primary of ``master-name``
  as the Sentinels say, found again by itself after a failover (redis-py's
  ``Sentinel.master_for``). The password is the data nodes'; Sentinels that have one of their
  own take ``?sentinel_password=…``.

Faults, and why the client is set up this way:

- A frozen server (a stuck disk, a swapped-out host: the kernel still accepts connections, no
  answer ever comes) costs one ``socket_timeout``, never more: a timed-out command is not
  sent again (redis-py's default retries it ten times, so one read hung for a minute).
- A refused or reset connection is tried once more at once (a pooled connection the server
  closed while it restarted); after that the error reaches the caller, who answers 503.
- During a failover the old primary refuses writes (READONLY) and no primary may be
  known for a few seconds (MasterNotFoundError): both are "unavailable for now", see
  ``errors.STORAGE_UNAVAILABLE``.

Writes a person would have to type again are committed with :func:`commit`: the MULTI/EXEC,
then ``WAIT 1 <REDIS_WAIT_TIMEOUT_MS>`` on the same connection, so the caller is answered only
once a replica has the write. See :func:`commit` for what happens when no replica answers.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import redis
import redis.client
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

log = logging.getLogger("polystatus.redis")

SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
SCHEMES = ("redis", "rediss", "unix", *SENTINEL_SCHEMES)
WAIT_TIMEOUT_MS = 500
REPLICAS_RECHECK_S = 2.0  # how long the number of connected replicas is believed

# The replication outcome of the last commit() in this context (a request, a loop turn):
# None when no replica was expected, else how many replicas acknowledged it.
replicated: contextvars.ContextVar[int | None] = contextvars.ContextVar("replicated", default=None)
# Called with each pipeline about to be committed; may queue more on it (polystatus.audit puts
# the request's audit entry in the same transaction) and returns what to run once it committed.
before_commit: Callable[[redis.client.Pipeline], Callable[[], None] | None] | None = None


@dataclass(frozen=True)
class SentinelTarget:
    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int
    username: str | None
    password: str | None
    sentinel_password: str | None
    ssl: bool


def parse_sentinel_url(url: str) -> SentinelTarget:
    """``redis+sentinel://[[user]:password@]h1:26379,h2:26379/<master>/<db>`` (ValueError if not)."""
    parts = urlsplit(url)
    if parts.scheme not in SENTINEL_SCHEMES:
        raise ValueError(f"not a Sentinel URL: {url!r}")
    userinfo, _, hosts = parts.netloc.rpartition("@")
    username = password = None
    if userinfo:
        user, _, secret = userinfo.partition(":")
        username, password = unquote(user) or None, unquote(secret) or None
    sentinels = []
    for item in hosts.split(","):
        item = item.strip()
        if not item:
            continue
        if item.startswith("["):  # [::1]:26379
            host, _, port = item[1:].partition("]")
            port = port.lstrip(":")
        else:
            host, _, port = item.rpartition(":") if ":" in item else (item, "", "")
        try:
            sentinels.append((host, int(port or 26379)))
        except ValueError:
            raise ValueError(f"bad Sentinel address {item!r} in {url!r}") from None
    path = [segment for segment in parts.path.split("/") if segment]
    if not sentinels or not path or len(path) > 2:
        raise ValueError(f"a Sentinel URL is redis+sentinel://host:port[,host:port…]/<master-name>/<db>, got {url!r}")
    try:
        db = int(path[1]) if len(path) == 2 else 0
    except ValueError:
        raise ValueError(f"the database in {url!r} must be a number") from None
    query = parse_qs(parts.query)
    return SentinelTarget(sentinels=tuple(sentinels), master=unquote(path[0]), db=db, username=username,
                          password=password, sentinel_password=(query.get("sentinel_password") or [None])[0],
                          ssl=parts.scheme.startswith("rediss"))


class Pipeline(redis.client.Pipeline):
    """A pipeline that, when asked (``wait_replicas``), sends ``WAIT`` right after its EXEC,
    on the same connection: WAIT counts the replicas that have this connection's writes."""

    wait_replicas = 0
    wait_timeout_ms = WAIT_TIMEOUT_MS
    acknowledged: int | None = None
    _sent = False

    def _execute_transaction(self, connection, commands, raise_on_error):
        self._sent = True
        result = super()._execute_transaction(connection, commands, raise_on_error)
        if self.wait_replicas:
            connection.send_command("WAIT", self.wait_replicas, self.wait_timeout_ms)
            # WAIT may take its whole timeout: read its answer for that long plus the usual.
            wait_s = self.wait_timeout_ms / 1000 + (connection.socket_timeout or 1.0)
            self.acknowledged = int(connection.read_response(timeout=wait_s, disconnect_on_error=True))
        return result

    def _disconnect_raise_on_watching(self, conn, error, *args, **kwargs):
        super()._disconnect_raise_on_watching(conn, error, *args, **kwargs)
        if self._sent:
            # The connection broke after MULTI/EXEC went out: Redis may have applied it, so
            # sending it again could apply it twice (two incidents, two events). The caller
            # answers 503 instead; the person retries knowingly.
            raise error

    def reset(self):
        super().reset()
        self._sent = False


class Store(redis.Redis):
    """redis.Redis whose pipelines can wait for a replica (see :func:`commit`)."""

    wait_timeout_ms = WAIT_TIMEOUT_MS
    expects_replicas = False  # a Sentinel URL: a write without a replica is worth a warning

    def pipeline(self, transaction=True, shard_hint=None) -> Pipeline:
        pipe = Pipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.wait_timeout_ms = self.wait_timeout_ms
        pipe.owner = self
        return pipe

    # The number of replicas the primary has, re-read at most every REPLICAS_RECHECK_S: with
    # none (plain `make up`), WAIT would only ever sit out its whole timeout.
    _replicas: tuple[float, int, object] = (0.0, 0, None)

    def connected_replicas(self) -> int:
        checked_at, count, primary = self._replicas
        current = getattr(self.connection_pool, "master_address", None)
        if time.monotonic() - checked_at < REPLICAS_RECHECK_S and primary == current:
            return count
        info = self.info("replication")
        # Only replicas done with their initial sync can acknowledge anything.
        count = sum(1 for key, value in info.items() if key.startswith("slave") and isinstance(value, dict)
                    and value.get("state") == "online") if info.get("role") == "master" else 0
        self._replicas = (time.monotonic(), count, getattr(self.connection_pool, "master_address", None))
        return count


class _Retry(Retry):
    """Once more, at once, after a refused or reset connection; never after a timeout. Either
    way the failed connection is closed first (``fail``): a reply that arrives late must not be
    read as the answer to the next command sent on that connection. (redis-py's Sentinel
    connections do not close themselves on a read error, and redis-py closes a connection only
    for the errors its Retry handles, so a timeout must be one of them, and not be retried.)"""

    def __init__(self):
        super().__init__(NoBackoff(), 1, supported_errors=(redis.ConnectionError, redis.TimeoutError, socket.timeout))

    def call_with_retry(self, do, fail, is_retryable=None, with_failure_count=False):
        failures = 0
        while True:
            try:
                return do()
            except self._supported_errors as error:
                failures += 1
                if with_failure_count:
                    fail(error, failures)
                else:
                    fail(error)
                timed_out = isinstance(error, (redis.TimeoutError, socket.timeout))
                if timed_out or failures > self._retries or (is_retryable and not is_retryable(error)):
                    raise error


def _retry() -> Retry:
    return _Retry()


def connect(url: str, *, timeout: float = 5.0, wait_timeout_ms: int = WAIT_TIMEOUT_MS) -> Store:
    """A client for ``url`` (plain or Sentinel). ``timeout``: the longest one command may wait
    (web requests use ``REDIS_TIMEOUT``; workers keep a longer one for their blocking reads)."""
    # decode_responses: every service stores text (JSON, ids); bytes would leak into the domain.
    options = {"decode_responses": True, "socket_timeout": timeout,
               "socket_connect_timeout": min(timeout, 1.0), "retry": _retry(),
               # a pooled connection idle for a second is PINGed before use, so one that a
               # restarted or failed-over server closed is replaced before a write goes out on it
               "health_check_interval": 1}
    if urlsplit(url).scheme in SENTINEL_SCHEMES:
        target = parse_sentinel_url(url)
        sentinel = Sentinel(
            list(target.sentinels),
            sentinel_kwargs={"socket_timeout": min(timeout, 0.5), "socket_connect_timeout": min(timeout, 0.5),
                             "password": target.sentinel_password, "retry": Retry(NoBackoff(), 0),
                             "decode_responses": True},
        )
        client = sentinel.master_for(target.master, redis_class=Store, db=target.db, username=target.username,
                                     password=target.password, ssl=target.ssl, **options)
        client.expects_replicas = True
    else:
        client = Store.from_url(url, **options)
    client.wait_timeout_ms = wait_timeout_ms
    return client


def commit(pipe: Pipeline) -> list:
    """Execute ``pipe`` (a MULTI pipeline from :func:`connect`) holding a write a person would
    have to type again (an incident, an account, a flag…), and return once a replica has it.

    - No replica at all (plain ``make up``, one Redis): no WAIT, so nothing gets slower.
    - A replica acknowledges within ``REDIS_WAIT_TIMEOUT_MS``: the usual case.
    - A replica exists but none acknowledges in time (it is down or far behind): the write
      stands on the primary (it cannot be taken back, and refusing it would make the person
      type it again and create it twice), so it is acknowledged anyway, logged as a warning and
      marked on the answer (``X-Replicated: 0``): only losing the primary before the replica
      catches up could lose it.

    The outcome is also left in :data:`replicated` (None: no replica expected).
    """
    committed = before_commit(pipe) if before_commit is not None else None
    result = _commit(pipe)
    if committed is not None:
        committed()
    return result


def _commit(pipe: Pipeline) -> list:
    if not isinstance(pipe, Pipeline):
        return pipe.execute()  # a client not made by connect() (a test's own) cannot WAIT
    owner: Store = pipe.owner
    expected = owner.connected_replicas()
    if expected == 0:
        result = pipe.execute()
        replicated.set(0 if owner.expects_replicas else None)
        if owner.expects_replicas:
            log.warning("write acknowledged by the primary alone: it has no replica connected")
        return result
    pipe.wait_replicas = 1
    result = pipe.execute()
    replicated.set(pipe.acknowledged)
    if not pipe.acknowledged:
        log.warning("no replica acknowledged a write within %s ms; it stands on the primary alone",
                    pipe.wait_timeout_ms)
    return result


@contextlib.contextmanager
def atomic(r: redis.Redis, *, durable: bool = False):
    """A flow's unit of work: the storage functions it calls queue their writes (``queue_*``,
    ``events.publish``) on the pipeline this yields, and leaving the block sends them as one
    MULTI/EXEC, through :func:`commit` when ``durable`` (a write a person would type again).
    An exception inside the block sends nothing. Flows open units of work; only storage
    modules name keys and commands."""
    with r.pipeline(transaction=True) as pipe:
        yield pipe
        commit(pipe) if durable else pipe.execute()


def init_app(app: Flask) -> Store:
    client = connect(app.config["REDIS_URL"], timeout=app.config.get("REDIS_TIMEOUT", 1.0),
                     wait_timeout_ms=app.config.get("REDIS_WAIT_TIMEOUT_MS", WAIT_TIMEOUT_MS))
    app.extensions["redis"] = client

    @app.before_request
    def _reset_replicated():
        replicated.set(None)

    @app.after_request
    def _replicated_header(response):
        outcome = replicated.get()
        if outcome is not None:
            response.headers["X-Replicated"] = str(outcome)
        return response

    return client


def get_redis() -> Store:
    return current_app.extensions["redis"]
