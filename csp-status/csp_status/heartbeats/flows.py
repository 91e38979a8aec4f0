"""Heartbeat use cases, without Flask: pings (both transports), create/update/pause/resume/
delete (our API, Healthchecks' API v3, the YAML config, slug auto-provisioning, mega_test_api
apps), the sweeper, projects and API keys. Each takes Redis and its inputs, asks ``service``
for the rules and ``storage`` for the data."""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate

import redis
from polystatus import ratelimits
from polystatus.clock import isoformat
from polystatus.errors import Conflict, Invalid, NotFound, RateLimited

from ..checks import service as check_service
from . import service, storage

PREFIX = "/ping/"
KINDS = ("start", "fail", "log")


class ConfigCache:
    """Heartbeat configs (with their revision) and slug lookups held in process for pings, so
    a ping is one round trip: the ping script, which refuses a ping computed from an old
    revision (``stale``), so a config changed on another replica is never used here after the
    change. Existence, pause and every state are read by the script itself. Slug lookups are
    trusted for ``slug_max_age_s``: a slug given to another check elsewhere reaches slug pings
    here within that time."""

    def __init__(self, slug_max_age_s: float, size: int = 50_000):
        self.slug_max_age_s = slug_max_age_s
        self.size = size
        self.configs: dict[str, tuple[dict, str]] = {}
        self.slugs: dict[tuple[str, str], tuple[float, str | None, list[str]]] = {}
        # The status event a ping sends should it move the status, encoded once per config
        # revision, state and reason, its time left to fill in: most pings move nothing, and
        # building and encoding the event was a tenth of a ping's own work.
        self.events: dict[tuple[str, str, str, str], str] = {}
        self.cron: dict[tuple[str, str], tuple[float, float]] = {}
        self.lock = threading.Lock()

    def heartbeat(self, r, heartbeat_id: str) -> tuple[dict, str] | None:
        """(the config, its revision) or None."""
        found = self.configs.get(heartbeat_id)
        if found is not None:
            return found
        heartbeat, revision = storage.get_with_revision(r, heartbeat_id)
        if heartbeat is None:
            return None
        found = heartbeat, revision
        with self.lock:
            if len(self.configs) >= self.size:
                self.configs.clear()
            self.configs[heartbeat_id] = found
        return found

    def event(self, heartbeat: dict, revision: str, *, state: str, reason: str, at: str) -> str:
        """``status_event(heartbeat, state=, previous="unknown", reason=, now=)`` (``at``: the
        time as ``isoformat`` writes it), from its template for this revision of the config."""
        key = (heartbeat["id"], revision, state, reason)
        template = self.events.get(key)
        if template is None:
            template = status_event(heartbeat, state=state, previous="unknown", reason=reason, now=_TEMPLATE_TIME)
            with self.lock:
                if len(self.events) >= self.size:
                    self.events.clear()
                self.events[key] = template
        # The quoted key and value cannot occur inside a string of the event: JSON escapes quotes.
        return template.replace(_TEMPLATE_AT, f'"at":"{at}"', 1)

    def next_expected(self, heartbeat: dict, revision: str, last_ping: float) -> float:
        """``service.next_expected``; a cron schedule's next time is reused while pings fall
        before it: a schedule has no time between the one it was computed after and the one
        it gave, so any ping in between has the same next time (croniter is most of a cron
        job's ping otherwise)."""
        if not heartbeat.get("schedule"):
            return service.next_expected(heartbeat, last_ping)
        key = (heartbeat["id"], revision)
        known = self.cron.get(key)
        if known is not None and known[0] <= last_ping < known[1]:
            return known[1]
        following = service.next_expected(heartbeat, last_ping)
        with self.lock:
            if len(self.cron) >= self.size:
                self.cron.clear()
            self.cron[key] = (last_ping, following)
        return following

    def slug(self, r, ping_key: str, slug: str) -> tuple[str | None, list[str]]:
        """(the ping key's project, the ids of its heartbeats with that slug)."""
        found = self.slugs.get((ping_key, slug))
        now = time.monotonic()
        if found is not None and now - found[0] < self.slug_max_age_s:
            return found[1], found[2]
        project = storage.project_by_ping_key(r, ping_key)
        ids = storage.ids_by_slug(r, project, slug) if project else []
        if ids and self.slug_max_age_s > 0:
            with self.lock:
                if len(self.slugs) >= self.size:
                    self.slugs.clear()
                self.slugs[(ping_key, slug)] = (now, project, ids)
        return project, ids

    def forget(self, heartbeat_id: str | None = None) -> None:
        with self.lock:
            if heartbeat_id is not None:
                self.configs.pop(heartbeat_id, None)
            self.slugs.clear()
            self.events.clear()
            self.cron.clear()


@dataclass
class PingRequest:
    """A ping as either transport read it."""
    path: str
    method: str
    rid: str | None
    create: str | None
    remote_addr: str | None
    forwarded_for: str | None
    scheme: str
    user_agent: str
    read_body: object  # () -> bytes, read only for POST


_TEMPLATE_TIME = datetime(2000, 1, 1, tzinfo=UTC)
_TEMPLATE_AT = f'"at":"{isoformat(_TEMPLATE_TIME)}"'
_headers: tuple[int, object, list[tuple[str, str]]] = (0, None, [])


def ping_headers(config: dict, now: float) -> list[tuple[str, str]]:
    """The headers of every ping answer, as Healthchecks sends them (open CORS, never cached,
    the body limit). An HTTP date changes once a second: the list is built once a second (the
    caller copies it before adding to it)."""
    global _headers
    second, limit, headers = _headers
    if second != int(now) or limit != config.get("PING_BODY_LIMIT"):
        limit = config.get("PING_BODY_LIMIT")
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Access-Control-Allow-Origin", "*"),
                   ("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private"),
                   ("Expires", formatdate(now, usegmt=True))]
        if limit:
            headers.append(("Ping-Body-Limit", str(limit)))
        _headers = (int(now), limit, headers)
    return headers


def status_event(heartbeat: dict, *, state: str, previous: str, reason: str, now: datetime) -> str:
    """The heartbeat's check.status_changed event (the one builder, checks.service), as JSON."""
    return service.encode(check_service.status_changed(
        check_id=f"heartbeat:{heartbeat['id']}", name=heartbeat.get("name") or heartbeat.get("slug") or heartbeat["id"],
        source="heartbeat", state=state, previous_state=previous, component_ids=heartbeat.get("component_ids"),
        reason=reason, at=now))


def _route(path: str) -> tuple[str, str, str | None, str] | None:
    """``/ping/...`` as Healthchecks routes it: ("uuid", id, None, suffix) or
    ("slug", ping_key, slug, suffix), suffix "" for success; None when nothing matches."""
    parts = path[len(PREFIX):].split("/")
    if service.UUID.match(parts[0]) and parts[0] == parts[0].lower():
        if len(parts) == 1 or (len(parts) == 2 and (parts[1] in ("", *KINDS) or parts[1].isdigit())):
            return "uuid", parts[0], None, parts[1] if len(parts) == 2 else ""
    if len(parts) in (2, 3) and all(service.PING_KEY.match(p) for p in parts[:2]):
        suffix = parts[2] if len(parts) == 3 else ""
        if len(parts) == 2 or suffix in KINDS or (suffix.isascii() and suffix.isdigit()):
            return "slug", parts[0], parts[1], suffix
    return None


def take_ping(r: redis.Redis, scripts: storage.Scripts, config: dict, cache: ConfigCache,
              request: PingRequest) -> tuple[int, str]:
    """One Healthchecks ping, by UUID or by ping key and slug: (status, plain-text answer),
    exactly Healthchecks' answers. Raises RateLimited past PINGS_PER_MINUTE (ours)."""
    route = _route(request.path)
    if route is None:
        return 404, "not found"
    for _ in range(3):  # a config changed elsewhere since we read it: read it again
        answer = _ping_once(r, scripts, config, cache, request, route)
        if answer is not None:
            return answer
    raise RuntimeError("a heartbeat's config kept changing under its pings")


def _ping_once(r, scripts, config: dict, cache: ConfigCache, request: PingRequest, route) -> tuple[int, str] | None:
    mode, ident, slug, suffix = route
    created = False
    if mode == "uuid":
        found = cache.heartbeat(r, ident)
        if found is None:
            return 404, "not found"
    else:
        if slug != slug.lower():
            return 400, "invalid url format"
        project, ids = cache.slug(r, ident, slug)
        if len(ids) > 1:
            return 409, "ambiguous slug"
        found = cache.heartbeat(r, ids[0]) if ids else None
        if found is None:
            if request.create != "1" or project is None:
                return 404, "not found"
            provision(r, project=project, slug=slug, now=config["CLOCK"].now())
            cache.forget()
            project, ids = cache.slug(r, ident, slug)
            found = cache.heartbeat(r, ids[0]) if len(ids) == 1 else None
            if found is None:
                return 409, "ambiguous slug"  # another ping provisioned the same slug at once
            created = True
    heartbeat, revision = found
    exit_status = service.parse_exit_status(suffix) if suffix not in ("", *KINDS) else None
    if exit_status is not None and exit_status > 255:
        return 400, "invalid url format"
    rid = request.rid
    if rid is not None:
        if not service.UUID.match(rid):
            return 400, "invalid uuid format"
        rid = rid.lower()
    now = config["CLOCK"].now()
    ts, at = now.timestamp(), isoformat(now)
    body = request.read_body()[:config["PING_BODY_LIMIT"] or None] if request.method == "POST" else b""
    action = service.action_of(heartbeat, suffix if suffix in KINDS else "success", exit_status, request.method, body)
    address = ratelimits.client_address(request.remote_addr, request.forwarded_for, config["TRUSTED_PROXIES"])
    rate_key, retry_after = ratelimits.window_key(f"ping:{heartbeat['id']}", 60, ts)
    reason = service.failure_reason(exit_status) if action == "fail" else "ping received"
    record = service.encode({"date": now.isoformat(), "ts": ts, "scheme": request.scheme, "remote_addr": address,
                             "method": request.method, "ua": request.user_agent[:200], "rid": rid,
                             "exitstatus": exit_status, "body": body.decode("utf-8", errors="replace")})
    outcome, _ = storage.apply_ping(
        scripts, heartbeat["id"], revision=revision, action=action, now=ts, rid=rid or "", grace=heartbeat["grace"],
        next_due=cache.next_expected(heartbeat, revision, ts) if action == "success" else ts,
        manual_resume=bool(heartbeat.get("manual_resume")), record_tail=record[1:], rate_key=rate_key,
        rate_limit=config["PINGS_PER_MINUTE"], event_time=at, reason=reason,
        # The event if the status moves: the script names the previous status (up or down).
        event=cache.event(heartbeat, revision, state="down" if action == "fail" else "up", reason=reason, at=at))
    if outcome in ("missing", "stale"):
        cache.forget(heartbeat["id"])
        return (404, "not found") if outcome == "missing" else None
    if outcome == "rate":
        raise RateLimited(f"Too many pings; try again in {retry_after} s.", retry_after=retry_after)
    return (201, "Created") if created else (200, "OK")


def record(r: redis.Redis, scripts: storage.Scripts, config: dict, heartbeat: dict, *, ok: bool, message: str = "",
           source: str) -> tuple[int, str]:
    """A success or failure ping from inside PolyStatus (a mega_test_api app's post, the
    scheduler's DRYRUN), through the same rules as one from the ping URL."""
    request = PingRequest(path=f"{PREFIX}{heartbeat['id']}" + ("" if ok else "/fail"), method="POST", rid=None,
                          create=None, remote_addr=None, forwarded_for=None, scheme="http", user_agent=source,
                          read_body=lambda: message.encode())
    return take_ping(r, scripts, config, ConfigCache(0, size=1), request)


# --- writes of a heartbeat's config ---------------------------------------------------------
def create(r: redis.Redis, spec: dict, *, now: datetime, project: str = "default", app_id: int | None = None) -> dict:
    """A new heartbeat from ``spec`` (only the fields given; Healthchecks' defaults for the rest)."""
    heartbeat = service.heartbeat_rules({**service.DEFAULTS, **spec, "id": str(uuid.uuid4()), "project": project,
                                  "app_id": app_id, "created": now.timestamp()})
    ensure_project(r, project)
    storage.save(r, heartbeat)
    return heartbeat


def declare(r: redis.Redis, scripts: storage.Scripts, data: dict, *, existing: dict | None, now: datetime,
            write: bool = True) -> str:
    """Make a declared heartbeat (YAML config, Gatus import) match ``data``: created, updated or
    unchanged, by the one declaration rule; ``write=False`` only tells what it would do."""
    outcome = check_service.declaration_outcome(existing, data)
    if write and outcome == "created":
        create(r, {k: v for k, v in data.items() if k != "project"}, now=now, project=data.get("project", "default"))
    elif write and outcome == "updated":
        update(r, scripts, existing, data)
    return outcome


def provision(r: redis.Redis, *, project: str, slug: str, now: datetime) -> dict:
    """Healthchecks' auto-provisioning (``?create=1``): a check named after its slug."""
    return create(r, {"name": slug, "slug": slug}, now=now, project=project)


def update(r: redis.Redis, scripts: storage.Scripts, heartbeat: dict, spec: dict, *,
           cache: ConfigCache | None = None) -> dict:
    """Change a heartbeat's config; its deadline follows at once, as Healthchecks' does."""
    updated = service.apply_spec(heartbeat, spec)
    storage.save(r, updated, previous=heartbeat)
    if cache is not None:
        cache.forget(heartbeat["id"])

    def refreshed(state: dict) -> dict:
        if state.get("status") == "up" and state.get("last_ping") is not None:
            state["next_due"] = service.next_expected(updated, float(state["last_ping"]))
        return state

    _replace(r, scripts, updated, refreshed)
    return updated


def pause(r: redis.Redis, scripts: storage.Scripts, heartbeat: dict, *, now: datetime) -> None:
    """Healthchecks' pause: status paused, not running, no deadline (a ping resumes it)."""
    def paused(state: dict) -> dict | None:
        if state.get("status") == "paused":
            return None
        return {**state, "status": "paused", "last_start": None}

    _replace(r, scripts, heartbeat, paused, now=now)


def resume(r: redis.Redis, scripts: storage.Scripts, heartbeat: dict, *, now: datetime) -> None:
    """Healthchecks' resume: a paused check becomes new; anything else is a conflict."""
    def resumed(state: dict) -> dict:
        if state.get("status") != "paused":
            raise Conflict("check is not paused")
        return {**state, "status": "new", "last_start": None, "last_ping": None}

    _replace(r, scripts, heartbeat, resumed, now=now)


def delete(r: redis.Redis, heartbeat: dict, *, cache: ConfigCache | None = None) -> None:
    storage.delete(r, heartbeat)
    if cache is not None:
        cache.forget(heartbeat["id"])


def _replace(r, scripts, heartbeat: dict, change, *, now: datetime | None = None, reason: str = "") -> bool:
    """Apply ``change(state) -> new state or None`` with the script's compare-and-set: a ping
    that lands in between makes us read again, never overwrite it. Writes the flip, and the
    event when the status becomes up or down. True when the status moved."""
    while True:
        raw = storage.raw_state(r, heartbeat["id"])
        state = storage.parse_state(raw)
        new = change(dict(state))
        if new is None:
            return False
        old_status, new_status = state.get("status", "new"), new.get("status", "new")
        moved = old_status != new_status
        flip = event = None
        if moved and now is not None:
            flip = {"ts": now.timestamp(), "old": old_status, "new": new_status, "reason": reason}
            if new_status in ("up", "down"):
                event = (uuid.uuid4().hex, isoformat(now), status_event(heartbeat, state=new_status, previous=old_status,
                                                                        reason=new.get("reason", ""), now=now))
        deadline = None if new_status == "down" else service.going_down_after(heartbeat, new)
        if storage.replace(scripts, heartbeat["id"], expected=raw, new_state=new, deadline=deadline, flip=flip,
                           event=event):
            return moved


def sweep(r: redis.Redis, scripts: storage.Scripts, now: datetime) -> list[str]:
    """Flip every overdue heartbeat to down, exactly once each (two sweepers, or a sweeper and
    a ping, never both win); a heartbeat not yet due gets its true deadline back."""
    flipped = []
    ts = now.timestamp()
    for heartbeat_id in storage.overdue(r, ts):
        heartbeat = storage.get(r, heartbeat_id)
        if heartbeat is None:
            storage.delete(r, {"id": heartbeat_id})
            continue

        def late(state: dict, heartbeat=heartbeat) -> dict:
            when = service.going_down_after(heartbeat, state)
            if when is None or when > ts:
                return state  # written back unchanged, with its true deadline
            reason = "did not finish in time" if state.get("last_start") is not None else "no ping in time"
            return {**state, "status": "down", "reason": reason}

        if _replace(r, scripts, heartbeat, late, now=now, reason="timeout"):
            flipped.append(heartbeat_id)
    return flipped


# --- projects, ping keys and Management API keys -------------------------------------------
def ensure_project(r: redis.Redis, project_id: str, name: str | None = None) -> dict:
    found = storage.project(r, project_id)
    if found is None:
        # A Healthchecks ping key: 22 URL-safe characters, unguessable (it names every slug URL).
        storage.add_project(r, {"id": project_id, "name": name or project_id, "ping_key": secrets.token_urlsafe(16)})
        found = storage.project(r, project_id)
    return found


def create_api_key(r: redis.Redis, *, project: str, name: str, readonly: bool, now: datetime) -> tuple[str, dict]:
    """A Management API v3 key (Healthchecks' shape: hcw_/hcr_ and 28 characters, 32 in all);
    only its SHA-256 is stored, so the key itself is shown once."""
    ensure_project(r, project)
    key = ("hcr_" if readonly else "hcw_") + secrets.token_urlsafe(21)[:28]
    record = {"id": secrets.token_hex(6), "name": name, "project": project, "readonly": readonly,
              "prefix": key[:8], "created": now.timestamp()}
    storage.save_api_key(r, digest(key), record)
    return key, record


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def revoke_api_key(r: redis.Redis, key_id: str) -> None:
    for found, record in storage.api_keys(r).items():
        if record["id"] == key_id:
            storage.delete_api_key(r, found)
            return
    raise NotFound("No such API key.")


def project_of_key(r: redis.Redis, api_key: str, *, write: bool) -> tuple[dict | None, str]:
    """(the key's record, or None and Healthchecks' error text)."""
    if len(api_key) != 32:
        return None, "missing api key"
    record = storage.api_key(r, digest(api_key))
    if record is None or (write and record["readonly"]):
        return None, "wrong api key"
    return record, ""


def unique_match(r: redis.Redis, project: str, spec: dict, unique: list[str]) -> dict | None:
    """Healthchecks' upsert: the first check of the project whose listed fields equal the spec's."""
    if not unique or any(spec.get(field) is None for field in unique):
        return None
    for heartbeat in storage.all_heartbeats(r):
        if heartbeat.get("project", "default") == project and all(heartbeat.get(f) == spec[f] for f in unique):
            return heartbeat
    return None


def refuse_channels(channels: str | None) -> None:
    """Notifications are comms' business: "" and "*" are accepted (and change nothing), a named
    integration cannot be found here."""
    if channels not in (None, "", "*"):
        first = channels.split(",")[0]
        raise Invalid(f"invalid channel identifier: {first}")
