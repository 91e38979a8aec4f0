"""Reading a component's reports and deciding its state (no Flask: the worker uses it too)."""
from __future__ import annotations

from datetime import UTC, datetime

import redis
from polystatus import events, ratelimits
from polystatus.clock import isoformat
from polystatus.errors import Invalid, NotFound, RateLimited

from ..components import storage as components_storage
from . import service, storage

SERVICE = "incidents"


def take(r: redis.Redis, config: dict, component_id: str, problem_type: str, remote_addr: str | None,
         forwarded_for: str | None) -> dict:
    """Take one "I have a problem" report; raises the error to answer. Both transports (the
    Flask route and the fast path) call this, so the rules live here once."""
    # The client is its address; X-Forwarded-For only counts from the trusted proxy (the
    # frontend), so nobody multiplies their reports by forging headers.
    client = ratelimits.client_address(remote_addr, forwarded_for, config["TRUSTED_PROXIES"])
    now = config["CLOCK"].now().timestamp()
    limit_key, retry_after = ratelimits.window_key(f"reports:{client}", 60, now)
    outcome = storage.record(r, component_id, problem_type, client, now,
                             limit_key=limit_key, limit=config["REPORTS_PER_ADDRESS_PER_MINUTE"], window_s=60)
    if outcome == storage.NO_COMPONENT:
        raise NotFound("No such component.")
    if outcome == storage.NOT_OFFERED:
        offered = (components_storage.get(r, component_id) or {}).get("problem_types", [])
        raise Invalid("This problem type is not offered for this component.",
                      details={"problem_type": [f"One of {', '.join(offered)}."]})
    if outcome == storage.RATE_LIMITED:
        raise RateLimited(f"Too many reports; try again in {retry_after} s.", retry_after=retry_after)
    return {"accepted": True, "counted": outcome == storage.COUNTED}


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
