"""Read tokens of a private status page: kept hashed (SHA-256 of a 32-byte random token: no
slow hash needed for a secret nobody chose), one hash of records by id, one key per digest."""
from __future__ import annotations

import json

import redis
from polystatus.redis_store import commit

RECORDS = "page-tokens"


def _digest_key(digest: str) -> str:
    return f"page-token-digest:{digest}"


def create(r: redis.Redis, record: dict, digest: str) -> None:
    pipe = r.pipeline()
    pipe.hset(RECORDS, record["id"], json.dumps({**record, "digest": digest}))
    pipe.set(_digest_key(digest), record["id"])
    commit(pipe)


def all_records(r: redis.Redis) -> list[dict]:
    records = [json.loads(raw) for raw in r.hvals(RECORDS)]
    for record in records:
        record.pop("digest", None)
    return sorted(records, key=lambda record: record["created_at"])


def get(r: redis.Redis, token_id: str) -> dict | None:
    raw = r.hget(RECORDS, token_id)
    return json.loads(raw) if raw else None


def delete(r: redis.Redis, record: dict) -> None:
    pipe = r.pipeline()
    pipe.hdel(RECORDS, record["id"])
    pipe.delete(_digest_key(record["digest"]))
    commit(pipe)


def exists(r: redis.Redis, digest: str) -> bool:
    return bool(r.exists(_digest_key(digest)))
