"""Reading a component's reports and deciding its state (no Flask: the worker uses it too)."""
from __future__ import annotations

from datetime import UTC, datetime

import redis
from polystatus import events, ratelimits
from polystatus.clock import isoformat
from polystatus.errors import Invalid, NotFound, RateLimited
from polystatus.redis_store import atomic

from ..components import flows as components_flows
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

    def count() -> tuple[int, list[str] | None]:
        return storage.record(r, component_id, problem_type, client, bucket=service.bucket_of(now),
                              limit_key=limit_key, limit=config["REPORTS_PER_ADDRESS_PER_MINUTE"], window_s=60)

    outcome, offered = count()
    # No copy of the component's problem types: no such component (the usual case, asked first
    # in one cheap read), or one stored before the copies (components.flows.offer_to_reports).
    if outcome == storage.NO_COPY and components_storage.problem_types(r, component_id) is not None \
            and components_flows.offer_to_reports(r, component_id) is not None:
        outcome, offered = count()
    if outcome == storage.NO_COPY:
        raise NotFound("No such component.")
    if outcome == storage.NOT_OFFERED:
        raise Invalid("This problem type is not offered for this component.",
                      details={"problem_type": [f"One of {', '.join(offered)}."]})
    if outcome == storage.RATE_LIMITED:
        raise RateLimited(f"Too many reports; try again in {retry_after} s.", retry_after=retry_after)
    return {"accepted": True, "counted": outcome == storage.COUNTED}


def _baselines(r: redis.Redis, component_id: str, buckets: list[int], now_bucket: int) -> list[float]:
    history = storage.counts(r, component_id, [day for b in buckets for day in service.baseline_buckets(b)])
    return service.baselines(history, buckets=len(buckets), since_bucket=storage.since_bucket(r, component_id),
                             now_bucket=now_bucket)


def summary(r: redis.Redis, component_id: str, now: datetime) -> dict:
    now_bucket = service.bucket_of(now.timestamp())
    buckets = list(range(now_bucket - service.BUCKETS_PER_DAY + 1, now_bucket + 1))
    counts = storage.counts(r, component_id, buckets)
    bases = _baselines(r, component_id, buckets, now_bucket)
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
        bases = _baselines(r, cid, recent, now_bucket)
        state = service.decide(counts[-3:], bases[-3:], counts[:3], bases[:3])
        previous = storage.last_state(r, cid)
        if state == previous:
            continue
        with atomic(r) as pipe:
            storage.queue_state(pipe, cid, state)
            if service.is_problem(state) and (not service.is_problem(previous) or state == "problems_detected"):
                payload = {"component_id": cid, "name": component["name"], "state": state,
                           "previous_state": previous, "count": sum(counts[-3:]), "baseline": round(sum(bases[-3:]), 3),
                           "top_problems": service.top_problems(storage.types(r, cid, recent[-3:])),
                           "at": isoformat(now)}
                events.publish(pipe, SERVICE, "reports.spike", payload)
                spikes.append(payload)
    return spikes
