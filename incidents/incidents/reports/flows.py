"""Reading a component's reports and deciding its state (no Flask: the worker uses it too)."""
from __future__ import annotations

from datetime import UTC, datetime

import redis
from polystatus import events
from polystatus.clock import isoformat

from ..components import storage as components_storage
from . import service, storage

SERVICE = "incidents"


def summary(r: redis.Redis, component_id: str, now: datetime) -> dict:
    now_bucket = service.bucket_of(now.timestamp())
    buckets = list(range(now_bucket - service.BUCKETS_PER_DAY + 1, now_bucket + 1))
    counts = storage.counts(r, component_id, buckets)
    bases = storage.baselines(r, component_id, buckets, now_bucket)
    state = service.decide(counts[-3:], bases[-3:], counts[-6:-3], bases[-6:-3])
    return {
        "component_id": component_id, "bucket_seconds": service.BUCKET_S,
        "buckets": [{"start": isoformat(datetime.fromtimestamp(b * service.BUCKET_S, UTC)), "count": c,
                     "baseline": round(base, 3)} for b, c, base in zip(buckets, counts, bases, strict=True)],
        "baseline": [round(b, 3) for b in bases], "state": state,
        "top_problems": service.top_problems(storage.types(r, component_id, buckets[-12:]) or
                                             storage.types(r, component_id, buckets)),
        "last_15_min": sum(counts[-3:]),
    }


def evaluate(r: redis.Redis, now: datetime) -> list[dict]:
    """Decide every component's state; publish reports.spike on entering a problem state."""
    spikes = []
    now_bucket = service.bucket_of(now.timestamp())
    recent = list(range(now_bucket - 5, now_bucket + 1))
    for component in components_storage.all_components(r):
        cid = component["id"]
        counts = storage.counts(r, cid, recent)
        bases = storage.baselines(r, cid, recent, now_bucket)
        state = service.decide(counts[-3:], bases[-3:], counts[:3], bases[:3])
        previous = storage.last_state(r, cid)
        if state == previous:
            continue
        pipe = r.pipeline(transaction=True)
        pipe.set(f"report-state:{cid}", state)
        if service.is_problem(state) and (not service.is_problem(previous) or state == "problems_detected"):
            payload = {"component_id": cid, "name": component["name"], "state": state, "previous_state": previous,
                       "count": sum(counts[-3:]), "baseline": round(sum(bases[-3:]), 3),
                       "top_problems": service.top_problems(storage.types(r, cid, recent[-3:])), "at": isoformat(now)}
            events.publish(pipe, SERVICE, "reports.spike", payload)
            spikes.append(payload)
        pipe.execute()
    return spikes
