"""Banners in Redis: ``banner:{id}`` (JSON), ``banners`` (zset by creation time)."""
from __future__ import annotations

import redis
from polystatus.records import Records

BANNERS = Records("banner", "banners", ordered=True)
get = BANNERS.get


def save(r: redis.Redis, banner: dict, created_ts: float) -> None:
    BANNERS.save(r, banner, created_ts, durable=False)


def all_banners(r: redis.Redis) -> list[dict]:
    return BANNERS.all(r, newest_first=True)


def delete(r: redis.Redis, banner_id: str) -> None:
    BANNERS.delete(r, banner_id, durable=False)
