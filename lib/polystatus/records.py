"""JSON records in Redis: ``{prefix}:{id}`` holds one record as JSON, an index holds the ids.

Many areas keep their objects this way (channels, templates, banners, maintenances, providers,
components); the get, save, list and delete were written out in each. A storage module
declares its records once (``CHANNELS = Records("channel", "channels")``) and keeps the
functions its callers use, so the keys stay named in storage and nowhere else.

The index is a set (listed in id order, the caller sorts) or, with ``ordered=True``, a sorted
set scored by what the caller passes (creation time, scheduled time) and listed by score.
Writes go through ``queue_*`` on a caller's pipeline (a state change and its event commit
together) or through ``save``/``delete``, which commit with ``redis_store.commit`` (a write a
person would type again) unless ``durable=False``.
"""
from __future__ import annotations

import json

import redis

from .errors import NotFound
from .redis_store import commit


class Records:
    __slots__ = ("prefix", "index", "ordered", "noun")

    def __init__(self, prefix: str, index: str, *, ordered: bool = False, noun: str | None = None):
        self.prefix, self.index, self.ordered = prefix, index, ordered
        self.noun = noun or prefix.replace("-", " ")

    def key(self, record_id: str) -> str:
        return f"{self.prefix}:{record_id}"

    def get(self, r: redis.Redis, record_id: str) -> dict | None:
        raw = r.get(self.key(record_id))
        return json.loads(raw) if raw else None

    def load(self, r: redis.Redis, record_id: str) -> dict:
        """The record, or NotFound ("No such channel.") for the one JSON error shape."""
        record = self.get(r, record_id)
        if record is None:
            raise NotFound(f"No such {self.noun}.")
        return record

    def many(self, r: redis.Redis, ids) -> list[dict]:
        """The records of ``ids`` that exist, in that order."""
        ids = list(ids)
        return [json.loads(raw) for raw in r.mget([self.key(i) for i in ids]) if raw] if ids else []

    def ids(self, r: redis.Redis, *, newest_first: bool = False) -> list[str]:
        if not self.ordered:
            return sorted(r.smembers(self.index))
        return r.zrevrange(self.index, 0, -1) if newest_first else r.zrange(self.index, 0, -1)

    def all(self, r: redis.Redis, *, newest_first: bool = False) -> list[dict]:
        return self.many(r, self.ids(r, newest_first=newest_first))

    def queue_save(self, pipe, record: dict, score: float | None = None) -> None:
        pipe.set(self.key(record["id"]), json.dumps(record))
        if self.ordered:
            pipe.zadd(self.index, {record["id"]: score})
        else:
            pipe.sadd(self.index, record["id"])

    def queue_delete(self, pipe, record_id: str) -> None:
        pipe.delete(self.key(record_id))
        if self.ordered:
            pipe.zrem(self.index, record_id)
        else:
            pipe.srem(self.index, record_id)

    def save(self, r: redis.Redis, record: dict, score: float | None = None, *, durable: bool = True) -> None:
        pipe = r.pipeline(transaction=True)
        self.queue_save(pipe, record, score)
        commit(pipe) if durable else pipe.execute()

    def delete(self, r: redis.Redis, record_id: str, *, durable: bool = True) -> None:
        pipe = r.pipeline(transaction=True)
        self.queue_delete(pipe, record_id)
        commit(pipe) if durable else pipe.execute()
