"""Maintenances in Redis: ``maintenance:{id}`` (JSON), ``maintenances`` (zset by scheduled_for)."""
from __future__ import annotations

import redis
from polystatus.records import Records

MAINTENANCES = Records("maintenance", "maintenances", ordered=True)
get, queue_save, delete = MAINTENANCES.get, MAINTENANCES.queue_save, MAINTENANCES.delete


def all_maintenances(r: redis.Redis) -> list[dict]:
    return MAINTENANCES.all(r)
