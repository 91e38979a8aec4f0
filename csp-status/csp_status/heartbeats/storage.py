"""Heartbeats in Redis. The only code that knows these keys:

``heartbeat:{id}`` config JSON · ``heartbeat-rev:{id}`` its revision · ``heartbeats`` zset of ids · ``heartbeat-state:{id}`` state JSON
(status, last_ping, last_start, last_start_rid, last_duration, n_pings, next_due, reason) ·
``heartbeat-pings:{id}`` recent pings, newest first, capped · ``heartbeat-flips:{id}`` status
changes, newest first, capped · ``heartbeat-deadlines`` zset id -> when to look at it again ·
``heartbeat-slug:{project}:{slug}`` set of ids (slugs need not be unique) ·
``heartbeat-projects`` / ``heartbeat-ping-keys`` projects and their ping keys ·
``heartbeat-api-keys`` sha256 of an API v3 key -> its record · ``app:{app_id}`` mega_test_api.

Two Lua scripts write state, so nothing else (a sweeper, a pause, another ping) can slip
between a read and its write, and nobody retries: ``PING`` applies one ping, ``REPLACE``
applies a state computed elsewhere only if the state is still the one it was computed from.
Both write the flip and the event in the same step.
"""
from __future__ import annotations

import json

import redis
from polystatus import events
from polystatus.groupcommit import GroupCommit

MAX_PINGS = 100  # Healthchecks' ping log of a free account
MAX_FLIPS = 1000
DEADLINES = "heartbeat-deadlines"
STREAM = events.stream_key("csp-status")

# One ping. KEYS[1]: the rate-limit counter of this window. ARGV: id, action, now, rid (or ""),
# grace, next due time if this is a success, "1" if a paused check ignores pings (manual
# resume), the ping record's JSON without its opening brace, the rate limit (0: none), the event
# should the status move (its previous_state "unknown" named here when it was up or down: the
# quoted key cannot match inside a name, which JSON escapes), the event's time, the state's reason, the config revision the caller's rules come from (a ping computed
# from an older one is refused as 'stale', to be computed again). Few arguments on purpose: packing them is most of a ping's cost.
PING = """
local id = ARGV[1]
local revision = redis.call('GET', 'heartbeat-rev:' .. id)
if not revision then
  if redis.call('EXISTS', 'heartbeat:' .. id) == 0 then return {'missing'} end
  revision = '0'  -- saved before revisions were kept
end
if revision ~= ARGV[13] then return {'stale'} end
local limit = tonumber(ARGV[9])
if limit > 0 then
  local count = redis.call('INCR', KEYS[1])
  if count == 1 then redis.call('EXPIRE', KEYS[1], 61) end
  if count > limit then return {'rate'} end
end
local state_key = 'heartbeat-state:' .. id
local raw = redis.call('GET', state_key)
local st = raw and cjson.decode(raw) or {status = 'new', n_pings = 0}
if st.status == nil then  -- written before the Healthchecks model (see parse_state)
  st.status = st.state == 'started' and 'up' or st.state or 'new'
  st.n_pings, st.state, st.pings = st.pings, nil, nil
end
local function val(x) if x == nil or x == cjson.null then return nil end return x end
local action, now, rid, grace = ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local old = st.status
if old == 'paused' and ARGV[7] == '1' then action = 'ign' end
local n = (tonumber(val(st.n_pings)) or 0) + 1
st.n_pings = n
local deadline = nil
if action == 'start' then
  st.last_start = now
  st.last_start_rid = rid
  if old == 'down' then deadline = 'none'
  elseif old == 'up' and val(st.next_due) then deadline = math.min(st.next_due, now) + grace
  else deadline = now + grace end
elseif action == 'success' or action == 'fail' then
  st.last_ping = now
  st.last_duration = cjson.null
  local started = val(st.last_start)
  if started then
    if (val(st.last_start_rid) or '') == rid then
      st.last_duration = now - started
      st.last_start = cjson.null
    elseif action == 'fail' or rid == '' then
      st.last_start = cjson.null
    end
  end
  local new, reason = 'up', ''
  if action == 'fail' then new, reason = 'down', 'fail' else st.next_due = tonumber(ARGV[6]) end
  st.reason = ARGV[12]
  if old ~= new then
    redis.call('LPUSH', 'heartbeat-flips:' .. id,
               '{"ts":' .. ARGV[3] .. ',"old":"' .. old .. '","new":"' .. new .. '","reason":"' .. reason .. '"}')
    redis.call('LTRIM', 'heartbeat-flips:' .. id, 0, MAX_FLIPS - 1)
    local previous = 'unknown'
    if old == 'up' or old == 'down' then previous = old end
    local data = string.gsub(ARGV[10], '"previous_state":"unknown"', '"previous_state":"' .. previous .. '"', 1)
    redis.call('XADD', 'STREAM', '*', 'id', string.sub(redis.sha1hex(id .. ':' .. n), 1, 32),
               'type', 'check.status_changed', 'source', 'csp-status', 'time', ARGV[11], 'data', data)
    st.status = new
  end
  if new == 'down' then deadline = 'none' else
    deadline = st.next_due + grace
    if val(st.last_start) then deadline = math.min(deadline, st.last_start + grace) end
  end
end
redis.call('SET', state_key, cjson.encode(st))
redis.call('LPUSH', 'heartbeat-pings:' .. id, '{"n":' .. n .. ',"type":"' .. action .. '",' .. ARGV[8])
if n % 10 == 0 then redis.call('LTRIM', 'heartbeat-pings:' .. id, 0, MAX_PINGS - 1) end  -- readers take MAX_PINGS
if deadline == 'none' then redis.call('ZREM', 'DEADLINES', id)
elseif deadline then redis.call('ZADD', 'DEADLINES', deadline, id) end
return {'ok', action}
""".replace("MAX_FLIPS", str(MAX_FLIPS)).replace("MAX_PINGS", str(MAX_PINGS)).replace(
    "'STREAM'", f"'{STREAM}'").replace("'DEADLINES'", f"'{DEADLINES}'")

REPLACE = """
local raw = redis.call('GET', KEYS[1]) or ''
if raw ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
if ARGV[4] == '' then redis.call('ZREM', KEYS[3], ARGV[1]) else redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1]) end
if ARGV[5] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[5])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[6]) - 1)
end
if ARGV[9] ~= '' then
  redis.call('XADD', KEYS[4], '*', 'id', ARGV[7], 'type', 'check.status_changed', 'source', 'csp-status',
             'time', ARGV[8], 'data', ARGV[9])
end
return 1
"""


class Scripts:
    """The two scripts, registered once per app (``app.extensions``), never per request.

    Pings arriving together share their round trips (polystatus.groupcommit, as reports do):
    on a busy server most of a ping's cost is the system calls around one small script call on
    both sides of the socket, not the script. Each ping still answers only after its own
    script has run."""

    def __init__(self, r: redis.Redis):
        self.ping = GroupCommit(r, PING)
        self.replace = r.register_script(REPLACE)


def state_key(heartbeat_id: str) -> str:
    return f"heartbeat-state:{heartbeat_id}"


# --- configs ---------------------------------------------------------------------------------
def get(r: redis.Redis, heartbeat_id: str) -> dict | None:
    raw = r.get(f"heartbeat:{heartbeat_id}")
    return json.loads(raw) if raw else None


def get_with_revision(r: redis.Redis, heartbeat_id: str) -> tuple[dict | None, str]:
    """The config and its revision (bumped by every save; what the ping script checks)."""
    raw, revision = r.mget([f"heartbeat:{heartbeat_id}", f"heartbeat-rev:{heartbeat_id}"])
    return (json.loads(raw) if raw else None), revision or "0"


def save(r: redis.Redis, heartbeat: dict, previous: dict | None = None) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.set(f"heartbeat:{heartbeat['id']}", json.dumps(heartbeat))
    pipe.incr(f"heartbeat-rev:{heartbeat['id']}")
    pipe.zadd("heartbeats", {heartbeat["id"]: 0})
    if previous and previous.get("slug") and \
            (previous["slug"], previous.get("project")) != (heartbeat.get("slug"), heartbeat.get("project")):
        pipe.srem(_slug_key(previous.get("project"), previous["slug"]), heartbeat["id"])
    if heartbeat.get("slug"):
        pipe.sadd(_slug_key(heartbeat.get("project"), heartbeat["slug"]), heartbeat["id"])
    pipe.execute()


def all_heartbeats(r: redis.Redis) -> list[dict]:
    ids = r.zrange("heartbeats", 0, -1)
    if not ids:
        return []
    return sorted((json.loads(raw) for raw in r.mget([f"heartbeat:{i}" for i in ids]) if raw),
                  key=lambda h: (h.get("name") or "", h["id"]))


def ids_by_slug(r: redis.Redis, project: str, slug: str) -> list[str]:
    return sorted(r.smembers(_slug_key(project, slug)))


def _slug_key(project: str | None, slug: str) -> str:
    return f"heartbeat-slug:{project or 'default'}:{slug}"


def delete(r: redis.Redis, heartbeat: dict) -> None:
    heartbeat_id = heartbeat["id"]
    pipe = r.pipeline(transaction=True)
    pipe.delete(f"heartbeat:{heartbeat_id}", f"heartbeat-rev:{heartbeat_id}", state_key(heartbeat_id),
                f"heartbeat-pings:{heartbeat_id}", f"heartbeat-flips:{heartbeat_id}")
    pipe.zrem("heartbeats", heartbeat_id)
    pipe.zrem(DEADLINES, heartbeat_id)
    if heartbeat.get("slug"):
        pipe.srem(_slug_key(heartbeat.get("project"), heartbeat["slug"]), heartbeat_id)
    pipe.execute()


# --- state -----------------------------------------------------------------------------------
def raw_state(r, heartbeat_id: str) -> str:
    """The stored state as it is (``""`` when none): what ``replace`` compares against."""
    return r.get(state_key(heartbeat_id)) or ""


def parse_state(raw: str) -> dict:
    state = json.loads(raw) if raw else {"status": "new", "n_pings": 0}
    if "status" not in state:  # written before the Healthchecks model (one "state" field)
        state = {"status": {"started": "up"}.get(state.get("state"), state.get("state", "new")),
                 "last_ping": state.get("last_ping"), "last_start": state.get("last_start"),
                 "last_start_rid": state.get("rid") or "", "last_duration": state.get("duration"),
                 "n_pings": state.get("pings", 0), "reason": state.get("reason", "")}
    return state


def state(r, heartbeat_id: str) -> dict:
    return parse_state(raw_state(r, heartbeat_id))


def states(r: redis.Redis, heartbeat_ids: list[str]) -> list[dict]:
    if not heartbeat_ids:
        return []
    return [parse_state(raw or "") for raw in r.mget([state_key(i) for i in heartbeat_ids])]


def apply_ping(scripts: Scripts, heartbeat_id: str, *, revision: str, action: str, now: float, rid: str, grace: int,
               next_due: float, manual_resume: bool, record_tail: str, rate_key: str, rate_limit: int,
               event: str, event_time: str, reason: str) -> tuple[str, str | None]:
    """One ping, atomically: ('missing'|'stale'|'rate'|'ok', the action it was recorded as)."""
    answer = scripts.ping(keys=[rate_key], args=[heartbeat_id, action, repr(now), rid, grace, repr(next_due),
                                                 "1" if manual_resume else "0", record_tail, rate_limit,
                                                 event, event_time, reason, revision])
    return answer[0], (answer[1] if len(answer) > 1 else None)


def replace(scripts: Scripts, heartbeat_id: str, *, expected: str, new_state: dict, deadline: float | None,
            flip: dict | None = None, event: tuple[str, str, str] | None = None) -> bool:
    """Write ``new_state`` (with its deadline, flip and event) only if the state is still
    ``expected``; False when something else changed it first."""
    event_id, event_time, data = event or ("", "", "")
    return bool(scripts.replace(
        keys=[state_key(heartbeat_id), f"heartbeat-flips:{heartbeat_id}", DEADLINES, STREAM],
        args=[heartbeat_id, expected, json.dumps(new_state), "" if deadline is None else repr(deadline),
              json.dumps(flip) if flip else "", MAX_FLIPS, event_id, event_time, data]))


def pings(r: redis.Redis, heartbeat_id: str, limit: int = MAX_PINGS) -> list[dict]:
    limit = min(limit, MAX_PINGS)  # the script trims every tenth ping, so up to 9 more may wait
    return [json.loads(raw) for raw in r.lrange(f"heartbeat-pings:{heartbeat_id}", 0, limit - 1)]


def flips(r: redis.Redis, heartbeat_id: str) -> list[dict]:
    return [json.loads(raw) for raw in r.lrange(f"heartbeat-flips:{heartbeat_id}", 0, -1)]


def overdue(r: redis.Redis, now: float) -> list[str]:
    return r.zrangebyscore(DEADLINES, "-inf", now)


# --- projects, ping keys, API keys -----------------------------------------------------------
def project(r: redis.Redis, project_id: str) -> dict | None:
    raw = r.hget("heartbeat-projects", project_id)
    return json.loads(raw) if raw else None


def projects(r: redis.Redis) -> list[dict]:
    return sorted((json.loads(raw) for raw in r.hvals("heartbeat-projects")), key=lambda p: p["id"])


def add_project(r: redis.Redis, record: dict) -> bool:
    """False when a project with that id exists already."""
    if not r.hsetnx("heartbeat-projects", record["id"], json.dumps(record)):
        return False
    r.hset("heartbeat-ping-keys", record["ping_key"], record["id"])
    return True


def project_by_ping_key(r: redis.Redis, ping_key: str) -> str | None:
    return r.hget("heartbeat-ping-keys", ping_key)


def save_api_key(r: redis.Redis, digest: str, record: dict) -> None:
    r.hset("heartbeat-api-keys", digest, json.dumps(record))


def api_key(r: redis.Redis, digest: str) -> dict | None:
    raw = r.hget("heartbeat-api-keys", digest)
    return json.loads(raw) if raw else None


def api_keys(r: redis.Redis) -> dict[str, dict]:
    return {digest: json.loads(raw) for digest, raw in r.hgetall("heartbeat-api-keys").items()}


def delete_api_key(r: redis.Redis, digest: str) -> None:
    r.hdel("heartbeat-api-keys", digest)


def app_heartbeat(r: redis.Redis, app_id: int) -> str | None:
    return r.get(f"app:{app_id}")


def link_app(r: redis.Redis, app_id: int, heartbeat_id: str) -> None:
    r.set(f"app:{app_id}", heartbeat_id)


def ready(r: redis.Redis) -> None:
    """Raise when the heartbeats' Redis does not answer (Healthchecks' ``/api/v3/status/``)."""
    r.ping()
