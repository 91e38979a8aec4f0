"""Group commit: one Lua script called by many threads, sent to Redis in shared round trips.

Why: the hottest write (an "I have a problem" report during an outage) is one small script
call per request, and on a busy server most of its cost is not the script but the round trip
around it: the system calls on both sides of the socket, for every request. When several
threads of a worker call the script at once, the first becomes the *leader*: it takes
everything queued so far and sends it as one pipeline; the others wait for their own answer.
Threads that arrive during that round trip queue up for the next one, led by the first of them.

What it keeps: every caller still gets its own script's answer only after Redis has run it, so
an accepted write is as durable as with a plain call, and a failed round trip raises in every
caller of that batch (each caller decides, as before, what to answer). A batch is never held
back to wait for more callers: when one thread is alone it pays one plain round trip plus a
lock, so nothing gets slower when the server is quiet.

The trade-off: a caller may wait for the batch ahead of its own, so under load latency moves
from the CPU queue to this queue; throughput is what a crowd needs here
(bench/report_ingestion.py).

How a batch goes out: on one connection of the client's pool that the group commit keeps (only
the leader of the moment uses it), packed once and written in one send, its answers read off
the connection. A redis-py pipeline did the same with, per batch, a pool checkout and release,
a poll of the socket, its observability hooks, a stack of queued commands and per-argument
checks while packing: with them a heartbeat ping cost about 80 µs of CPU in process, without
them about 50 (bench/pings_inprocess.py, one thread).
The faults are the client's own (polystatus.redis_store): the connection's retry policy (a
refused or reset connection tried once more, a timeout never), its health check, Sentinel's
search for the primary when the connection is made again.
"""
from __future__ import annotations

import copy
import hashlib
import os
import threading

import redis
from hiredis import pack_command
from redis.exceptions import NoScriptError, ResponseError


class _Call:
    __slots__ = ("keys", "args", "result", "error", "settled", "lead", "done")

    def __init__(self, keys: list, args: list):
        self.keys, self.args = keys, args
        self.result = self.error = None
        self.settled = self.lead = False
        # A plain lock used as a one-shot signal: cheaper than an Event, which the per-request
        # budget notices. Released by the leader when the answer is in (or this call must lead).
        self.done = threading.Lock()
        self.done.acquire()

    def settle(self, result) -> bool:
        """Take Redis's answer; False when the script was unknown and must be sent again."""
        if isinstance(result, NoScriptError):
            return False
        if isinstance(result, Exception):
            self.error = result
        else:
            self.result = result
        self.settled = True
        return True


class GroupCommit:
    """``GroupCommit(r, source)(keys, args)`` answers like ``r.register_script(source)(keys, args)``."""

    def __init__(self, r: redis.Redis, source: str):
        self.r = r
        self.source = source
        # Redis names a script by its SHA-1 (EVALSHA); not a security use.
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()
        self._mutex = threading.Lock()
        self._queue: list[_Call] = []
        self._busy = False
        # (the kept connection, the process it was taken in): a forked child takes its own.
        self._connection: tuple[object, int] = (None, 0)
        # Only the leader of the moment writes these: round trips sent, and calls answered.
        self.round_trips = 0
        self.calls = 0

    def __call__(self, keys: list, args: list):
        call = _Call(keys, args)
        with self._mutex:
            self._queue.append(call)
            lead = not self._busy
            self._busy = True
        if not lead:
            call.done.acquire()
            lead = call.lead
        if lead:
            self._lead()
        if call.error is not None:
            raise call.error
        return call.result

    def _lead(self) -> None:
        with self._mutex:
            batch, self._queue = self._queue, []
        try:
            self._run(batch)
        except BaseException as exc:  # noqa: BLE001 — every caller of the batch learns of it
            for call in batch:
                if not call.settled:  # those already answered keep their answer: they ran
                    call.error = _own_copy(exc)
        finally:
            # Hand the lead to the first caller that queued meanwhile (each leader sends one
            # batch, so no thread serves the others forever), then wake this batch's callers.
            with self._mutex:
                following = self._queue[0] if self._queue else None
                if following is None:
                    self._busy = False
                else:
                    following.lead = True
            for call in batch:
                call.done.release()
            if following is not None:
                following.done.release()

    def _run(self, batch: list[_Call]) -> None:
        self.calls += len(batch)
        missing = [call for call, result in zip(batch, self._send(batch), strict=True) if not call.settle(result)]
        if missing:
            # Redis restarted or its scripts were flushed: the script did not run for those
            # calls, so running them again after loading it cannot count anything twice.
            self.r.script_load(self.source)
            for call, result in zip(missing, self._send(missing), strict=True):
                call.settle(result)

    def _send(self, batch: list[_Call]) -> list:
        conn = self._connected()
        sha = self.sha
        # hiredis (a dependency of ours) packs a command as redis-py does with it, without
        # redis-py's per-argument checks: they cost as much again for the thirteen of a ping.
        packed = [b"".join([pack_command(("EVALSHA", sha, len(call.keys), *call.keys, *call.args))
                            for call in batch])]
        self.round_trips += 1
        try:
            return conn.retry.call_with_retry(lambda: _exchange(conn, packed, len(batch)),
                                              lambda _error, *_: conn.disconnect())
        except BaseException:
            # Answers may still be on their way: a later batch must never read them as its own.
            conn.disconnect()
            raise

    def _connected(self):
        conn, pid = self._connection
        pool = self.r.connection_pool
        if conn is None or pid != os.getpid():
            conn = pool.get_connection()
            self._connection = (conn, os.getpid())
        elif not pool.owns_connection(conn):
            # What the pool does to a connection given back: under Sentinel, one to a server
            # that is no longer the primary is closed, and made again to the new primary.
            conn.disconnect()
        return conn


def _exchange(conn, packed: list, count: int) -> list:
    """Send a packed batch and read its ``count`` answers (a script's error is its answer)."""
    # Made again, when it was closed, by the connection's own connect(): under Sentinel that
    # asks where the primary is now (sending alone would reconnect to the old address).
    conn.connect()
    conn.send_packed_command(packed)
    answers = []
    for _ in range(count):
        try:
            answers.append(conn.read_response())
        except ResponseError as exc:
            answers.append(exc)
    return answers


def _own_copy(exc: BaseException) -> BaseException:
    """The batch's error for one caller: raised in several threads, one shared exception object
    would collect all their tracebacks. The copy keeps the original (and the leader's traceback)
    as its cause."""
    try:
        mine = copy.copy(exc)
    except Exception:  # noqa: BLE001 — an exception that cannot be copied is shared as it is
        return exc
    mine.__cause__ = exc
    mine.__traceback__ = None
    return mine
