"""Faults (issue 10): kill -9, stop and slow down the processes of a running cluster under a
write load, and compare what callers were told with what is really there afterwards.

Real processes on a private redis-server (append-only, appendfsync everysec, as `make up`
runs it), started one by one by e2e/faults.py (honcho would stop the whole cluster when one
process dies). Every write is classified by what its caller saw:

- ``ok``: a 2xx answer. It must be there afterwards, and its event published exactly once.
- ``refused``: the connection was refused. It cannot have happened.
- ``unknown``: sent, but the answer never came (the server died in between), and ``5xx``:
  either may or may not have happened; we look and count, we do not assert.

"Handled once from the user's point of view" is counted at a real webhook receiver on
loopback: a comms channel subscribed to ``incident.created`` posts one Statuspage-shaped
webhook per incident, and we count them per incident id.

Run: .venv/bin/pytest e2e/test_faults.py -q -s -p no:cacheprovider --rootdir=e2e
(`-s` shows the measured numbers.)
"""
from __future__ import annotations

import collections
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from faults import (
    ADMIN,
    Cluster,
    Load,
    WebhookReceiver,
    marked_stale,
    public_reads,
    reads_for,
    running,
    wait_until,
    while_frozen,
)

BACKEND_TIMEOUT = 1.5    # frontend -> services (seconds)
PASSWORD_BACKEND_TIMEOUT = 4.0    # frontend -> users for calls that hash a password (argon2 is slow on purpose)
OUTBOUND_TIMEOUT = 2.0   # service -> service, and the JWKS fetch
PAGE_CACHE_TTL = 1.0     # frontend page cache: fresh for this long, then refreshed
CLAIM_IDLE_S = 30        # polystatus.events.Consumer: entries idle this long are reclaimed
# comms: a delivery claimed by a worker that dies stays locked this long. The lock's owner
# carries the worker's pid, so a restarted worker cannot take its own locks back: with the
# default (60 s) the deliveries a killed worker had claimed go out a minute late (measured).
# 5 s keeps this file short; the behaviour is the same.
DELIVERY_LOCK_S = 5
STREAM = "events:incidents"


def say(message: str) -> None:
    print(f"\n[faults] {message}", flush=True)


def parse(response: httpx.Response):
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return response.text


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def cluster(request):
    """Our own cluster (not conftest.py's, which runs under honcho), shared by the tests of
    this file; each test heals what the previous one may have left stopped or dead."""
    c = Cluster(overrides={"OUTBOUND_TIMEOUT": str(OUTBOUND_TIMEOUT), "BACKEND_TIMEOUT": str(BACKEND_TIMEOUT),
                           "PASSWORD_BACKEND_TIMEOUT": str(PASSWORD_BACKEND_TIMEOUT),
                           "PAGE_CACHE_TTL": str(PAGE_CACHE_TTL), "DELIVERY_LOCK_S": str(DELIVERY_LOCK_S),
                           "LOG_FORMAT": "text"})
    with running(c, request, "cluster"):
        yield c


@pytest.fixture(scope="module")
def receiver(cluster):
    hook = WebhookReceiver()
    response = httpx.post(cluster.url("comms", "/channels"), headers=auth(cluster.admin_token), json={
        "name": "fault tests", "url": f"webhook://127.0.0.1:{hook.port}/hook", "events": ["incident.created"]})
    assert response.status_code == 201, response.text
    yield hook
    httpx.delete(cluster.url("comms", f"/channels/{response.json()['id']}"), headers=auth(cluster.admin_token))
    hook.close()


@pytest.fixture(autouse=True)
def healthy(cluster):
    """Each test starts from a cluster where every process runs (a failed test may leave one
    stopped or dead)."""
    cluster.heal()
    yield


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------------------------ helpers
def new_component(cluster, tag: str) -> str:
    cid = f"faults-{tag}-{uuid.uuid4().hex[:6]}"
    response = httpx.post(cluster.url("incidents", "/components"), headers=auth(cluster.admin_token),
                          json={"id": cid, "name": f"Faults {tag}", "problem_types": ["errors", "slow"]})
    assert response.status_code == 201, response.text
    return cid


def address(i: int) -> str:
    """A distinct client address per write (the services believe X-Forwarded-For from loopback,
    their trusted proxy): reports are counted once per client, and registrations are limited
    per address."""
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def report_sender(cluster, cid: str):
    url = cluster.url("incidents", "/reports")

    def send(client: httpx.Client, i: int):
        response = client.post(url, json={"component_id": cid, "problem_type": "errors"},
                               headers={"X-Forwarded-For": address(i)})
        return response.status_code, parse(response)
    return send


def incident_sender(cluster, prefix: str):
    url = cluster.url("incidents", "/incidents")
    headers = auth(cluster.admin_token)

    def send(client: httpx.Client, i: int):
        response = client.post(url, headers=headers, json={
            "name": f"{prefix} #{i}", "status": "investigating", "message": "Fault test."})
        return response.status_code, parse(response)
    return send


def registration_sender(cluster, prefix: str):
    url = cluster.url("users", "/users")

    def send(client: httpx.Client, i: int):
        response = client.post(url, headers={"X-Forwarded-For": address(i)}, json={
            "email": f"{prefix}-{i}@example.com", "password": "a long passphrase 2026"})
        return response.status_code, parse(response)
    return send


def parallel(fn, items, threads: int = 4) -> list:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))


def create_incidents(cluster, prefix: str, n: int) -> list[str]:
    send = incident_sender(cluster, prefix)
    with httpx.Client(timeout=15) as client:
        answers = parallel(lambda i: send(client, i), range(1, n + 1))
    assert all(status == 201 for status, _ in answers), [a for a in answers if a[0] != 201][:3]
    return [body["id"] for _, body in answers]


def created_events(cluster, prefix: str) -> dict[str, list[dict]]:
    """incident.created events of our incidents on the incidents stream, by incident name."""
    by_name: dict[str, list[dict]] = collections.defaultdict(list)
    for entry_id, fields in cluster.redis("incidents").xrange(STREAM):
        if fields.get("type") != "incident.created":
            continue
        incident = json.loads(fields["data"])["incident"]
        if incident["name"].startswith(prefix + " #"):
            by_name[incident["name"]].append({"entry_id": entry_id, "event_id": fields["id"],
                                              "incident_id": incident["id"]})
    return by_name


def read_incidents(cluster, ids) -> dict[str, dict | None]:
    with httpx.Client(timeout=15) as client:
        def one(incident_id):
            response = client.get(cluster.url("incidents", f"/incidents/{incident_id}"))
            return incident_id, response.json() if response.status_code == 200 else None
        return dict(parallel(one, list(ids)))


def verify_incidents(cluster, load: Load, prefix: str) -> dict:
    """Read back every incident whose creation was answered 201, and count the events."""
    events = created_events(cluster, prefix)
    accepted = {r["body"]["id"]: f"{prefix} #{r['i']}" for r in load.by("ok")}
    stored = read_incidents(cluster, set(accepted) | {e["incident_id"] for evs in events.values() for e in evs})
    missing = sorted(i for i, name in accepted.items() if not stored[i] or stored[i]["name"] != name)
    per_incident = collections.Counter(e["incident_id"] for evs in events.values() for e in evs)
    per_name = {name: len(evs) for name, evs in events.items()}
    unknown_names = {f"{prefix} #{r['i']}" for r in load.by("unknown") + load.by("error")}
    refused_names = {f"{prefix} #{r['i']}" for r in load.by("refused")}
    return {
        "attempted": load.count(), "accepted": len(accepted), "found": len(accepted) - len(missing),
        "lost": missing,
        "accepted_without_event": sorted(i for i in accepted if per_incident[i] == 0),
        "duplicate_events": sum(n - 1 for n in per_name.values() if n > 1),
        "unanswered_that_happened": sum(1 for name in unknown_names if per_name.get(name)),
        "unanswered": len(unknown_names),
        "refused_that_happened": sorted(name for name in refused_names if per_name.get(name)),
        "events_without_incident": sorted(i for i in per_incident if not stored.get(i)),
        "announce": sorted(per_incident),  # every incident that exists, answered or not
    }


def wait_announced(receiver: WebhookReceiver, ids, timeout: float, settle: float = 1.0) -> dict:
    """Wait until comms has sent one webhook for each incident, then a moment more for
    duplicates; the counts per incident."""
    ids = set(ids)
    started = time.monotonic()
    wait_until(lambda: ids <= set(receiver.incident_ids()), timeout, 0.1)
    waited = time.monotonic() - started
    time.sleep(settle)
    counts = collections.Counter(i for i in receiver.incident_ids() if i in ids)
    return {"announced": sum(1 for i in ids if counts[i]), "never": sorted(i for i in ids if not counts[i]),
            "duplicates": sum(n - 1 for n in counts.values() if n > 1), "waited": waited}


def comms_group(cluster) -> dict:
    r = cluster.redis("incidents")
    pending = r.xpending(STREAM, "comms")["pending"]
    group = next(g for g in r.xinfo_groups(STREAM) if g["name"] == "comms")
    return {"pending": pending, "lag": group.get("lag")}


def handled_markers(cluster, event_ids: list[str]) -> int:
    pipe = cluster.redis("comms").pipeline(transaction=False)
    for event_id in event_ids:
        pipe.exists(f"handled:comms:{event_id}")
    return sum(pipe.execute())


def event_ids_of(cluster, prefix: str) -> list[str]:
    return [e["event_id"] for evs in created_events(cluster, prefix).values() for e in evs]


def kill_under_load(cluster, name: str, load: Load, *, before: int, after: int, down_s: float = 0.5) -> dict:
    """Let ``before`` writes succeed, kill -9 ``name``, keep it down ``down_s``, start it again,
    let ``after`` more writes succeed."""
    try:
        load.wait_for("ok", before)
        proc = cluster.procs[name]
        proc.kill()
        killed = time.monotonic()
        at_kill = load.count("ok")
        time.sleep(down_s)
        proc.start()
        cluster.wait_ready(name)
        back_in = time.monotonic() - killed
        load.wait_for("ok", at_kill + after, timeout=30)
    finally:
        load.stop()
    return {"killed_at": killed, "ok_at_kill": at_kill, "back_in": back_in}


# ---------------------------------------------------- 1. kill -9 a service under a write load
def test_every_accepted_report_survives_a_kill_of_incidents(cluster):
    cid = new_component(cluster, "reports")
    load = Load(report_sender(cluster, cid), threads=4).start()
    timing = kill_under_load(cluster, "incidents", load, before=200, after=200)
    accepted = load.by("ok")
    assert all(r["body"]["counted"] for r in accepted), "every client reports once, so every report counts"
    # What the public sees: the component's report counts.
    summary = httpx.get(cluster.url("incidents", f"/components/{cid}/reports"), timeout=10).json()
    counted = sum(bucket["count"] for bucket in summary["buckets"])
    # Each report, one by one: its client's 15-minute dedup marker (written in the same script).
    r = cluster.redis("incidents")

    def present(rows):
        pipe = r.pipeline(transaction=False)
        for row in rows:
            pipe.exists(f"report-seen:{cid}:{address(row['i'])}")
        return [bool(x) for x in pipe.execute()]

    accepted_present = present(accepted)
    unanswered = load.by("unknown") + load.by("error")
    unanswered_landed = sum(present(unanswered)) if unanswered else 0
    refused_landed = sum(present(load.by("refused"))) if load.by("refused") else 0
    lost = accepted_present.count(False)
    say(f"reports, kill -9 incidents: attempted {load.count()}, accepted {len(accepted)} "
        f"({timing['ok_at_kill']} before the kill), outcomes {load.summary()}, incidents back in "
        f"{timing['back_in']:.2f} s; found after restart {len(accepted) - lost} one by one, counted "
        f"{counted} on the component; unanswered that landed {unanswered_landed}/{len(unanswered)}; lost {lost}")
    assert lost == 0, f"{lost} accepted reports are gone after the restart"
    assert refused_landed == 0
    assert counted == len(accepted) + unanswered_landed, "the public count differs from the reports stored"


def test_every_accepted_incident_survives_a_kill_of_incidents_and_is_announced_once(cluster, receiver):
    prefix = f"kill-incidents-{uuid.uuid4().hex[:6]}"
    load = Load(incident_sender(cluster, prefix), threads=2).start()
    timing = kill_under_load(cluster, "incidents", load, before=30, after=30)
    result = verify_incidents(cluster, load, prefix)
    comms = wait_announced(receiver, result["announce"], timeout=60)
    say(f"incidents, kill -9 incidents: attempted {result['attempted']}, accepted {result['accepted']} "
        f"({timing['ok_at_kill']} before the kill), outcomes {load.summary()}, back in {timing['back_in']:.2f} s; "
        f"found after restart {result['found']}, lost {len(result['lost'])}; events: accepted without one "
        f"{len(result['accepted_without_event'])}, duplicates {result['duplicate_events']}, without an incident "
        f"{len(result['events_without_incident'])}; unanswered that happened {result['unanswered_that_happened']}/"
        f"{result['unanswered']}; comms webhooks: {comms['announced']}/{len(result['announce'])} incidents "
        f"announced, never {len(comms['never'])}, duplicates {comms['duplicates']} (all in {comms['waited']:.1f} s)")
    assert not result["lost"], f"accepted incidents gone after the restart: {result['lost'][:5]}"
    assert not result["accepted_without_event"], "an accepted incident was never published"
    assert result["duplicate_events"] == 0
    assert not result["events_without_incident"], "an event was published for an incident that does not exist"
    assert not result["refused_that_happened"]
    assert not comms["never"], f"incidents comms never announced: {comms['never'][:5]}"
    assert comms["duplicates"] == 0, "an incident was announced twice"


def test_every_accepted_registration_survives_a_kill_of_users(cluster):
    prefix = f"faults-{uuid.uuid4().hex[:6]}"
    load = Load(registration_sender(cluster, prefix), threads=4).start()
    timing = kill_under_load(cluster, "users", load, before=15, after=15)
    accepted = {r["body"]["id"]: r["body"]["email"] for r in load.by("ok")}
    headers = auth(cluster.admin_token)  # issued before the kill: the signing keys live in Redis
    with httpx.Client(timeout=15, headers=headers) as client:
        def read(user_id):
            response = client.get(cluster.url("users", f"/users/{user_id}"))
            return response.status_code == 200 and response.json()["email"] == accepted[user_id]
        found = sum(parallel(read, list(accepted)))
        emails, page = set(), 1
        while True:  # every account there is, to place the writes nobody got an answer for
            body = client.get(cluster.url("users", "/users"), params={"page": page, "per_page": 200}).json()
            emails |= {u["email"] for u in body["users"]}
            if page * 200 >= body["total"]:
                break
            page += 1
    created = collections.Counter()
    for _, fields in cluster.redis("users").xrange("events:users"):
        if fields.get("type") == "user.created":
            created[json.loads(fields["data"])["email"]] += 1
    email_of = {r["i"]: f"{prefix}-{r['i']}@example.com" for r in load.results}
    unanswered = [email_of[r["i"]] for r in load.by("unknown") + load.by("error")]
    refused = [email_of[r["i"]] for r in load.by("refused")]
    accepted_without_event = sum(1 for e in accepted.values() if created[e] == 0)
    duplicates = sum(created[e] - 1 for e in email_of.values() if created[e] > 1)
    lost = len(accepted) - found
    say(f"registrations, kill -9 users: attempted {load.count()}, accepted {len(accepted)} "
        f"({timing['ok_at_kill']} before the kill), outcomes {load.summary()}, back in {timing['back_in']:.2f} s; "
        f"found after restart {found}, lost {lost}; user.created events: accepted without one "
        f"{accepted_without_event}, duplicates {duplicates}; unanswered that happened "
        f"{sum(1 for e in unanswered if e in emails)}/{len(unanswered)}")
    assert lost == 0, f"{lost} accepted registrations are gone after the restart"
    assert accepted_without_event == 0 and duplicates == 0
    assert not [e for e in refused if e in emails or created[e]], "a refused registration happened"
    assert all((e in emails) == bool(created[e]) for e in unanswered), "an account and its event disagree"


# ------------------------------------------------------- 2. kill -9 a consumer mid-stream
# comms plans one delivery per (event, channel) with an id derived from both, written in the
# same MULTI as the event's "handled" marker, so a replanned event never makes a second
# delivery. What a kill can duplicate is documented in comms/deliveries/flows.py: a webhook the
# receiver took whose "sent" mark did not reach Redis before the crash is sent again. That is
# at most the one delivery in flight per crash, and the assertions below allow exactly that.
IN_FLIGHT = 1


def _start_stream_of_events(cluster, prefix: str, n: int) -> tuple[list[str], list[str]]:
    """With comms' worker stopped, open n incidents: n events wait in the stream."""
    cluster.procs["comms-worker"].terminate()
    ids = create_incidents(cluster, prefix, n)
    return ids, event_ids_of(cluster, prefix)


def _kill_mid_stream(cluster, event_ids: list[str]) -> dict:
    """Start the worker, kill -9 it once it has handled a part of the events and holds some
    read but unacknowledged."""
    cluster.procs["comms-worker"].start()
    n = len(event_ids)
    holding = {}

    def mid_stream():
        done = handled_markers(cluster, event_ids)
        group = comms_group(cluster)
        holding.update(done=done, **group)
        return done >= n // 5 and group["pending"] > 0
    assert wait_until(mid_stream, 30, 0.01), f"the worker never got mid-stream: {holding}"
    cluster.procs["comms-worker"].kill()
    at_kill = {"handled": handled_markers(cluster, event_ids), **comms_group(cluster)}
    assert at_kill["handled"] < n, "the kill came after the worker had handled everything"
    # Entries handled (marker committed) but not yet acknowledged when the kill came: on
    # redelivery they must be acknowledged without being handled again (idempotence by id).
    pending = {e["message_id"] for e in cluster.redis("incidents").xpending_range(STREAM, "comms", "-", "+", 1000)}
    entries = cluster.redis("incidents").xrange(STREAM)
    pending_events = [fields["id"] for entry_id, fields in entries if entry_id in pending]
    at_kill["handled_unacked"] = handled_markers(cluster, pending_events)
    return at_kill


def test_every_event_is_handled_once_when_the_comms_worker_is_killed_mid_stream(cluster, receiver):
    prefix = f"kill-worker-{uuid.uuid4().hex[:6]}"
    ids, event_ids = _start_stream_of_events(cluster, prefix, 80)
    at_kill = _kill_mid_stream(cluster, event_ids)
    cluster.procs["comms-worker"].start()  # same host, same consumer name: it takes its own entries back
    restarted = time.monotonic()
    comms = wait_announced(receiver, ids, timeout=30)
    after = {"handled": handled_markers(cluster, event_ids), **comms_group(cluster)}
    say(f"comms worker kill -9 mid-stream, restarted on the same host: events {len(event_ids)}, handled at the "
        f"kill {at_kill['handled']}, read but unacknowledged at the kill {at_kill['pending']} (of which already "
        f"handled {at_kill['handled_unacked']}); after restart: "
        f"handled {after['handled']}, announced {comms['announced']}, never {len(comms['never'])}, duplicate "
        f"webhooks {comms['duplicates']}, pending {after['pending']}; all announced "
        f"{max(receiver.first_seen().get(i, restarted) for i in ids) - restarted:.1f} s after the restart")
    assert len(event_ids) == len(ids)
    assert not comms["never"], f"{len(comms['never'])} events were never handled"
    assert after["handled"] == len(event_ids) and after["pending"] == 0
    assert comms["duplicates"] <= IN_FLIGHT, f"{comms['duplicates']} incidents announced twice"


def test_entries_left_by_a_dead_worker_or_a_failed_handler_are_reclaimed_and_announced_once(cluster, receiver):
    prefix = f"claim-{uuid.uuid4().hex[:6]}"
    ids, event_ids = _start_stream_of_events(cluster, prefix, 60)
    at_kill = _kill_mid_stream(cluster, event_ids)
    killed = time.monotonic()
    stuck = [e["message_id"] for e in cluster.redis("incidents").xpending_range(STREAM, "comms", "-", "+", 1000)]
    # The replacement runs "on another machine": another consumer name, so the dead worker's
    # entries are not its own; only XAUTOCLAIM (after CLAIM_IDLE_S idle) brings them back.
    cluster.replace("comms-worker", cluster.worker_proc("comms", hostname="faults-replica-b"))
    users = cluster.procs["users"]
    try:
        assert wait_until(lambda: handled_markers(cluster, event_ids) >= len(event_ids) - len(stuck), 30), \
            "the replacement did not take the new entries"
        # Then users hangs while one more incident opens: the replacement asks users who follows
        # it, times out after OUTBOUND_TIMEOUT, and leaves the event pending.
        users.pause()
        try:
            failed_id = create_incidents(cluster, prefix + "-users-down", 1)[0]
            failed_event = event_ids_of(cluster, prefix + "-users-down")
            # Only that incident.created entry is the one whose handler fails (its audit entry
            # follows it on the stream, and the replacement may still be working through the
            # backlog, each entry of which also waits for users): wait until it was read and
            # left pending, which it stays while users hangs.
            failed_entries = {e["entry_id"] for evs in created_events(cluster, prefix + "-users-down").values()
                              for e in evs}

            def failed_pending_now():
                return [e for e in cluster.redis("incidents").xpending_range(STREAM, "comms", "-", "+", 1000)
                        if e["message_id"] in failed_entries]
            wait_until(lambda: failed_pending_now(), 30 * OUTBOUND_TIMEOUT)
            time.sleep(OUTBOUND_TIMEOUT + 1.0)  # its handler has timed out by now, and it stays
            failed_pending = failed_pending_now()
        finally:
            users.cont()
        users_back = time.monotonic()
        comms = wait_announced(receiver, ids + [failed_id], timeout=CLAIM_IDLE_S + 30)
        after = {"handled": handled_markers(cluster, event_ids + failed_event), **comms_group(cluster)}
        consumers = {c["name"]: c["pending"] for c in cluster.redis("incidents").xinfo_consumers(STREAM, "comms")}
    finally:
        users.cont()
        cluster.replace("comms-worker", cluster.worker_proc("comms"))
    seen = receiver.first_seen()
    stuck_ids = [i for i in ids if seen.get(i, 0) > killed + CLAIM_IDLE_S / 2]
    say(f"comms worker kill -9 mid-stream, replaced on another host: events {len(event_ids)}, handled at the kill "
        f"{at_kill['handled']}, stuck with the dead consumer {len(stuck)} (of which already handled "
        f"{at_kill['handled_unacked']}), announced "
        f"{max(seen.get(i, 0) for i in ids) - killed:.1f} s after the kill (XAUTOCLAIM after {CLAIM_IDLE_S} s idle); "
        f"the event whose handler timed out while users hung: pending {len(failed_pending)}, announced "
        f"{seen.get(failed_id, 0) - users_back:.1f} s after users came back; handled {after['handled']}, never "
        f"{len(comms['never'])}, duplicate webhooks {comms['duplicates']}, pending {after['pending']}, pending per "
        f"consumer {consumers}")
    assert stuck, "the kill left nothing pending: XAUTOCLAIM was not exercised"
    assert len(stuck_ids) >= 1, "entries stuck with the dead consumer came back before they could be claimed"
    assert len(failed_pending) == 1, "the event whose handler failed is not waiting to be retried"
    assert not comms["never"], f"{len(comms['never'])} events were never reclaimed"
    assert after["handled"] == len(event_ids) + 1 and after["pending"] == 0
    assert comms["duplicates"] <= IN_FLIGHT, f"{comms['duplicates']} incidents announced twice"


# ------------------------------------------------ 4. a consumer stopped for a while: nothing lost
@pytest.mark.parametrize("how", ["SIGSTOP", "SIGTERM"])
def test_no_event_is_lost_while_the_comms_worker_is_stopped(cluster, receiver, how):
    worker = cluster.procs["comms-worker"]
    worker.pause() if how == "SIGSTOP" else worker.terminate()
    prefix = f"stopped-{how}-{uuid.uuid4().hex[:6]}"
    try:
        ids = create_incidents(cluster, prefix, 30)
        time.sleep(2)  # a while
        during = set(ids) & set(receiver.incident_ids())
        waiting = comms_group(cluster)
    finally:
        worker.cont() if how == "SIGSTOP" else worker.start()
    comms = wait_announced(receiver, ids, timeout=60)
    event_ids = event_ids_of(cluster, prefix)
    after = {"handled": handled_markers(cluster, event_ids), **comms_group(cluster)}
    say(f"comms worker stopped ({how}) for 2 s: {len(ids)} incidents opened meanwhile, announced while stopped "
        f"{len(during)}, waiting in the stream {waiting} (pending = read by the stopped worker, lag = unread); "
        f"after it resumed: announced {comms['announced']} within {comms['waited']:.1f} s, never "
        f"{len(comms['never'])}, duplicates {comms['duplicates']}, handled {after['handled']}, pending {after['pending']}")
    assert not during, "a stopped worker announced something"
    assert not comms["never"] and comms["duplicates"] == 0
    assert after["handled"] == len(ids) and after["pending"] == 0


# ----------------------------------------- 5. a slow or unreachable backing service: time out, degrade, recover
ANSWER_WITHIN_S = 1.0       # the public reads answer from the copy in hand, whatever hangs behind
WRITE_CLIENT_TIMEOUT = 5.0  # a script's timeout: a write must be answered (503) before it


def _page_knows(cluster, cid: str) -> None:
    """The page shows our component, every backend answered, and the frontend has a copy of
    every public read in hand (summary.json included: with none, there is nothing to answer from)."""
    page_url = cluster.url("frontend", "/api/page.json")
    assert wait_until(lambda: cid in {c["id"] for c in httpx.get(page_url, timeout=10).json()["components"]}, 15, 0.3)
    assert wait_until(lambda: httpx.get(page_url, timeout=10).json()["missing"] == [], 15, 0.3)
    assert all(entry["status"] == 200 for entry in public_reads(cluster.url("frontend")).values())


@pytest.mark.parametrize("backend", ["incidents", "csp-status", "comms", "feature-flags"])
def test_the_page_answers_from_the_copy_in_hand_within_1_s_while_a_backend_hangs_and_recovers(cluster, backend):
    cid = new_component(cluster, f"hang-{backend}")
    _page_knows(cluster, cid)
    base = cluster.url("frontend")
    report_url = cluster.url("frontend", "/api/incidents/reports")
    proc = cluster.procs[backend]
    proc.pause()  # hangs: connections are accepted by the kernel, never answered
    try:
        rounds = reads_for(base, BACKEND_TIMEOUT + PAGE_CACHE_TTL + 2,
                           until=lambda last: backend in (last["/api/page.json"].get("missing") or []))
        started = time.monotonic()
        report = httpx.post(report_url, json={"component_id": cid, "problem_type": "errors"}, timeout=30)
        report_s = time.monotonic() - started
    finally:
        proc.cont()
    resumed = time.monotonic()
    recovered = wait_until(lambda: public_reads(base)["/api/page.json"]["missing"] == [], 15, 0.2)
    recovered_s = time.monotonic() - resumed
    page = httpx.get(cluster.url("frontend", "/api/page.json"), timeout=10).json()
    slowest = max(entry["s"] for r in rounds for entry in r.values())
    last = rounds[-1]
    say(f"frontend with {backend} SIGSTOPped (BACKEND_TIMEOUT {BACKEND_TIMEOUT} s): {len(rounds)} rounds of /, "
        f"page.json, summary.json, slowest {slowest:.2f} s; last round {last}; report through the proxy "
        f"{report.status_code} in {report_s:.2f} s; whole again {recovered_s:.1f} s after SIGCONT")
    assert all(entry["status"] == 200 for r in rounds for entry in r.values())
    assert slowest < ANSWER_WITHIN_S, f"a public read waited {slowest:.2f} s for {backend}"
    assert backend in last["/api/page.json"]["missing"], "the page does not say which section is stale"
    assert cid in {c["id"] for c in page["components"]}, "the last known components were not kept"
    if backend == "incidents":
        assert marked_stale(last["/api/v2/summary.json"]), "summary.json was not marked as the cached copy"
        assert report.status_code == 502 and report_s < BACKEND_TIMEOUT + 1.0
    assert recovered, f"the page still misses {backend} after it came back"


def test_the_page_answers_from_the_copy_in_hand_within_1_s_while_redis_is_frozen_and_writes_answer_503(cluster):
    _page_knows(cluster, new_component(cluster, "frozen-redis"))
    redis_proc = cluster.procs["redis"]  # a stuck disk, a swapped-out host: connections accepted, nothing answered
    seen = while_frozen(cluster, redis_proc.pause, redis_proc.cont, seconds=BACKEND_TIMEOUT + PAGE_CACHE_TTL + 3,
                        write_timeout=WRITE_CLIENT_TIMEOUT, until=redis_frozen_shown)
    check_frozen_redis(seen, "make up shape")


def redis_frozen_shown(last: dict) -> bool:
    """The page names the sections it could not refresh, and summary.json is marked stale."""
    return "incidents" in (last["/api/page.json"].get("missing") or []) and marked_stale(last["/api/v2/summary.json"])


def check_frozen_redis(seen: dict, shape: str) -> None:
    write, last = seen["write"], seen["last"]
    say(f"Redis SIGSTOPped ({shape}): a write answered {write.status_code} in {seen['write_s']:.2f} s (Retry-After "
        f"{write.headers.get('retry-after')}); {len(seen['rounds'])} rounds of /, page.json, summary.json, slowest "
        f"{seen['slowest']:.2f} s, statuses {dict(seen['statuses'])}; last round {last}; whole again "
        f"{seen['recovered_s']:.1f} s after SIGCONT, a write {seen['after'].status_code}")
    assert write.status_code == 503 and write.headers.get("retry-after") and seen["write_s"] < WRITE_CLIENT_TIMEOUT
    # Its storage is away, or (a replica started during the freeze, with no keys cached yet) so
    # is the key set that verifies the caller's token: both are "try again shortly".
    assert write.json()["error"]["code"] in ("unavailable", "token_unverifiable")
    assert set(seen["statuses"]) == {200}
    assert seen["slowest"] < ANSWER_WITHIN_S, f"a public read waited {seen['slowest']:.2f} s for the frozen Redis"
    assert redis_frozen_shown(last), "the page does not say that it may be out of date"
    assert seen["recovered"] and seen["after"].status_code == 201


def test_services_verify_tokens_with_cached_keys_while_users_hangs_and_recover(cluster):
    admin_headers = auth(cluster.admin_token)
    # incidents fetches the key set when it first verifies a token ...
    warm = httpx.post(cluster.url("incidents", "/components"), headers=admin_headers,
                      json={"name": "Faults keys", "problem_types": ["errors"]})
    assert warm.status_code == 201, warm.text
    # ... and a token it has never seen, issued before users hangs, must verify from that cache.
    fresh = cluster.login(ADMIN["email"], ADMIN["password"])
    sign_in = cluster.url("frontend", "/api/users/auth/login")
    users = cluster.procs["users"]
    users.pause()
    try:
        started = time.monotonic()
        created = httpx.post(cluster.url("incidents", "/incidents"), headers=auth(fresh), timeout=30, json={
            "name": f"users-down-{uuid.uuid4().hex[:6]} #1", "status": "investigating", "message": "Users hangs."})
        created_s = time.monotonic() - started
        started = time.monotonic()
        login = httpx.post(sign_in, json=ADMIN, timeout=30)
        login_s = time.monotonic() - started
    finally:
        users.cont()
    resumed = time.monotonic()
    # Right after SIGCONT, users first works through what queued up while it hung (a sign-in
    # hashes a password), so the first calls through the frontend may still time out.
    signed_in_again = wait_until(lambda: httpx.post(sign_in, json=ADMIN, timeout=30).status_code == 200, 15, 0.2)
    say(f"users SIGSTOPped: incidents accepted a never-seen token from its cached key set in {created_s:.2f} s "
        f"({created.status_code}); sign-in through the frontend {login.status_code} in {login_s:.2f} s "
        f"(PASSWORD_BACKEND_TIMEOUT {PASSWORD_BACKEND_TIMEOUT} s); after SIGCONT sign-in works again after "
        f"{time.monotonic() - resumed:.1f} s")
    assert created.status_code == 201, created.text
    # Fetching the key set would have waited OUTBOUND_TIMEOUT, then refused the token (401).
    assert created_s < OUTBOUND_TIMEOUT, "incidents waited for users to verify a token"
    assert login.status_code == 502 and login_s < PASSWORD_BACKEND_TIMEOUT + 1.0
    assert signed_in_again, "sign-in through the frontend did not recover after users came back"


# ---------------------------------------------------------- 3. restart Redis under a write load
def _redis_fault_under_load(cluster, receiver, how: str) -> dict:
    cid = new_component(cluster, f"redis-{how.lower()}")
    prefix = f"redis-{how}-{uuid.uuid4().hex[:6]}"
    reports = Load(report_sender(cluster, cid), threads=2, timeout=20).start()
    incidents = Load(incident_sender(cluster, prefix), threads=2, timeout=20, pace=0.05).start()
    try:
        reports.wait_for("ok", 200)
        incidents.wait_for("ok", 20)
        redis_proc = cluster.procs["redis"]
        worker_restarts = {name: p.restarts for name, p in cluster.procs.items()}
        if how == "SIGTERM":
            started = time.monotonic()
            redis_proc.terminate()
            stopped_in = time.monotonic() - started
        else:
            redis_proc.kill()
            stopped_in = 0.0
        down_at = time.monotonic()
        ok_at = (reports.count("ok"), incidents.count("ok"))
        time.sleep(0.5)
        redis_proc.start()
        loaded_in = cluster.wait_redis()
        reports.wait_for("ok", ok_at[0] + 200, timeout=30)
        incidents.wait_for("ok", ok_at[1] + 20, timeout=30)
    finally:
        reports.stop()
        incidents.stop()
    cluster.wait_ready(*cluster.SERVICES)
    # reports
    r = cluster.redis("incidents")
    pipe = r.pipeline(transaction=False)
    accepted_reports = reports.by("ok")
    for row in accepted_reports:
        pipe.exists(f"report-seen:{cid}:{address(row['i'])}")
    seen = pipe.execute()
    lost_reports = [row for row, there in zip(accepted_reports, seen, strict=True) if not there]
    # incidents
    result = verify_incidents(cluster, incidents, prefix)
    lost_ids = set(result["lost"])
    lost_incidents = [row for row in incidents.by("ok") if row["body"]["id"] in lost_ids]
    comms = wait_announced(receiver, result["announce"], timeout=60)
    last_second = sum(1 for row in accepted_reports + incidents.by("ok") if down_at - 1.0 <= row["done"] <= down_at)
    restarts = {name: p.restarts - worker_restarts[name] for name, p in cluster.procs.items()
                if p.restarts - worker_restarts[name]}
    lost = len(lost_reports) + len(lost_incidents)
    say(f"redis {how} under load (stopped in {stopped_in:.2f} s, AOF reloaded in {loaded_in:.2f} s): reports "
        f"attempted {reports.count()}, accepted {len(accepted_reports)}, outcomes {reports.summary()}, lost "
        f"{len(lost_reports)}; incidents attempted {result['attempted']}, accepted {result['accepted']}, outcomes "
        f"{incidents.summary()}, found {result['found']}, lost {len(lost_incidents)}, accepted without event "
        f"{len(result['accepted_without_event'])}, events without incident {len(result['events_without_incident'])}, "
        f"duplicate events {result['duplicate_events']}; accepted in the last second before the fault "
        f"{last_second}; LOST {lost}; comms announced {comms['announced']}/{len(result['announce'])}, never "
        f"{len(comms['never'])}, duplicates {comms['duplicates']}; workers restarted by the supervisor {restarts}")
    return {"lost": lost, "last_second": last_second, "result": result, "comms": comms, "restarts": restarts}


def test_every_accepted_write_survives_a_clean_restart_of_redis(cluster, receiver):
    outcome = _redis_fault_under_load(cluster, receiver, "SIGTERM")
    assert outcome["lost"] == 0, f"{outcome['lost']} accepted writes lost across a clean Redis restart"
    result = outcome["result"]
    assert not result["accepted_without_event"] and not result["events_without_incident"]
    assert result["duplicate_events"] == 0
    assert not outcome["comms"]["never"], "an incident was never announced"
    # comms waits a Redis restart out (it records a sent delivery once Redis is back, and its
    # loops back off): no worker crash, so nobody is notified twice.
    assert outcome["restarts"].get("comms-worker", 0) == 0, outcome["restarts"]
    assert outcome["comms"]["duplicates"] == 0, f"{outcome['comms']['duplicates']} incidents announced twice"


def test_a_kill_of_redis_loses_at_most_the_last_second_of_accepted_writes(cluster, receiver):
    outcome = _redis_fault_under_load(cluster, receiver, "SIGKILL")
    # appendfsync everysec: the documented bound is about one second of writes (a kill of the
    # process alone keeps what reached the kernel, so usually nothing is lost).
    assert outcome["lost"] <= outcome["last_second"], (
        f"{outcome['lost']} accepted writes lost, more than the {outcome['last_second']} of the last second")
    result = outcome["result"]
    # What survives is consistent: an incident and its event land together or not at all.
    assert set(result["accepted_without_event"]) <= set(result["lost"])
    assert not result["events_without_incident"]
    assert not outcome["comms"]["never"], "a surviving incident was never announced"
