"""The layers CONTRIBUTING describes, held by tests: the domain layer stays free of the web."""
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = {"incidents": "incidents", "users": "users", "comms": "comms", "csp-status": "csp_status",
            "feature-flags": "feature_flags", "frontend": "frontend"}
SERVICE_MODULES = sorted(
    f"{package}.{path.parent.name}.service"
    for folder, package in PACKAGES.items()
    for path in (ROOT / folder / package).glob("*/service.py"))
WEB = ("flask", "apiflask", "werkzeug", "flask_cors")


def test_every_area_with_domain_rules_is_found():
    assert len(SERVICE_MODULES) >= 20 and "incidents.statuspage.service" in SERVICE_MODULES


@pytest.mark.parametrize("module", SERVICE_MODULES)
def test_a_service_module_imports_no_web_framework(module):
    # A fresh interpreter each: in this one, Flask is long loaded by the other tests.
    probe = f"import importlib, sys; importlib.import_module({module!r}); print([m for m in {WEB!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"{module} pulls in {done.stdout.strip()}"


def test_the_errors_domain_code_raises_import_no_web_framework():
    probe = f"import sys, polystatus.errors; print([m for m in {WEB!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


REDIS_COMMANDS = {
    "get", "set", "mget", "mset", "delete", "exists", "expire", "ttl", "incr", "incrby", "decr", "hget", "hset",
    "hgetall", "hkeys", "hdel", "hincrby", "sadd", "srem", "smembers", "scard", "sismember", "zadd", "zrem",
    "zrange", "zrevrange", "zrangebyscore", "zremrangebyscore", "zcard", "zscore", "lpush", "rpush", "lrange",
    "ltrim", "xadd", "xrange", "xrevrange", "eval", "evalsha", "pipeline", "execute", "watch", "multi",
    "transaction", "scan_iter", "keys", "publish", "register_script", "ping",
}


def redis_calls(path: pathlib.Path) -> list[str]:
    """Calls like ``r.get(...)``, ``pipe.execute()`` or ``get_redis().hkeys(...)`` in a module."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in REDIS_COMMANDS:
            target = node.func.value
            named = isinstance(target, ast.Name) and target.id in ("r", "pipe", "redis", "client")
            fetched = isinstance(target, ast.Call) and getattr(target.func, "id", "") == "get_redis"
            if named or fetched:
                found.append(f"{path.name}:{node.lineno} .{node.func.attr}()")
    return found


def test_no_module_of_an_area_but_its_storage_issues_a_redis_command():
    # Every module of an area but its storage: views, flows, fast paths, and the others an
    # area grows (heartbeats' management API, the frontend's pages).
    modules = [path for folder, package in PACKAGES.items() for path in (ROOT / folder / package).glob("*/*.py")
               if path.name != "storage.py"]
    assert len(modules) >= 100
    assert [f"{path.parent.name}/{call}" for path in modules for call in redis_calls(path)] == []


def test_the_redis_command_finder_sees_a_raw_command_and_not_a_storage_call(tmp_path):
    sample = tmp_path / "flows.py"
    sample.write_text("def f(r):\n    storage.get(r, 'x')\n    return r.hgetall('holders:x')\n", encoding="utf-8")
    assert redis_calls(sample) == ["flows.py:3 .hgetall()"]


# --- storage knows keys and commands, nothing else ------------------------------------------

STORAGE_MODULES = sorted(path for folder, package in PACKAGES.items() for path in (ROOT / folder / package).glob("*/storage.py"))
def _name(path: pathlib.Path) -> str:
    return f"{path.parts[-4]}/{path.parent.name}/{path.name}"  # users/totp/storage.py


def storage_offences(path: pathlib.Path) -> list[str]:
    """What a storage module does beyond keys and commands: publishing an event (anything of
    ``polystatus.events`` but the name of a stream, which a script writing a flow's event with
    its state must know), importing a ``service`` or ``flows`` module (rules and use cases), or
    another area's storage (its keys)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "events" \
                and node.attr != "stream_key":
            found.append(f"{node.lineno}: events.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "xadd":
            found.append(f"{node.lineno}: .xadd()")  # an event written by hand
        elif isinstance(node, ast.ImportFrom):
            module, names = node.module or "", [alias.name for alias in node.names]
            if module == "polystatus.events":
                found += [f"{node.lineno}: from polystatus.events import {n}" for n in names if n != "stream_key"]
            parts = module.split(".") if module else []
            if parts and parts[-1] in ("service", "flows", "storage"):
                found.append(f"{node.lineno}: from {'.' * node.level}{module} import …")
            for n in names:
                if n in ("service", "flows") or (n == "storage" and node.level >= 2):
                    found.append(f"{node.lineno}: from {'.' * node.level}{module} import {n}")
        elif isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {alias.name}" for alias in node.names
                      if alias.name.rsplit(".", 1)[-1] in ("service", "flows", "storage", "events")]
    return sorted(found, key=lambda offence: int(offence.split(":")[0]))


def test_no_storage_module_publishes_an_event_or_applies_a_rule():
    assert len(STORAGE_MODULES) >= 20
    offences = {_name(path): storage_offences(path) for path in STORAGE_MODULES}
    assert {name: found for name, found in offences.items() if found} == {}


def test_the_storage_checker_sees_an_event_a_rule_and_another_areas_keys(tmp_path):
    sample = tmp_path / "storage.py"
    sample.write_text("from polystatus import events\nfrom . import service\nfrom ..components import storage as c\n"
                      "from .flows import go\nSTREAM = events.stream_key('x')\n"
                      "def f(pipe):\n    events.publish(pipe, 'incidents', 'x.y', {})\n"
                      "    pipe.xadd(STREAM, {'type': 'x.y'})\n", encoding="utf-8")
    assert storage_offences(sample) == ["2: from . import service", "3: from ..components import storage",
                                        "4: from .flows import …", "7: events.publish", "8: .xadd()"]


# --- a Lua script reads and writes its own area's keys only ----------------------------------

KEY_LITERAL = re.compile(r"^([a-z][a-z0-9-]*):")
LUA_KEY = re.compile(r"'([a-z][a-z0-9-]*):")


def key_prefixes(path: pathlib.Path) -> set[str]:
    """The key prefixes a storage module names in Python (``"component:"``, ``f"holders:{id}"``)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            text = node.values[0].value
        if text and "redis.call" not in text and KEY_LITERAL.match(text):
            found.add(KEY_LITERAL.match(text).group(1))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Records" and node.args \
                and isinstance(node.args[0], ast.Constant):
            found.add(node.args[0].value)  # Records("component", …) keeps component:{id}
    return found


def lua_prefixes(path: pathlib.Path) -> set[str]:
    """The key prefixes the module's Lua scripts name themselves (``'heartbeat-state:' .. id``)."""
    import ast

    return {match for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "redis.call" in node.value
            for match in LUA_KEY.findall(node.value)}


def test_no_two_areas_of_a_service_name_the_same_keys():
    # With the import rule above, this is what keeps a script to its own area's keys: the keys
    # it is given (KEYS) are built by its own module, from prefixes no other area names.
    shared = []
    for service in {path.parts[-3] for path in STORAGE_MODULES}:
        owners: dict[str, list[str]] = {}
        for path in STORAGE_MODULES:
            if path.parts[-3] == service:
                for prefix in key_prefixes(path):
                    owners.setdefault(prefix, []).append(path.parent.name)
        shared += [f"{service}: {prefix}: named by {', '.join(sorted(areas))}" for prefix, areas in owners.items()
                   if len(areas) > 1]
    assert shared == []


def test_no_lua_script_names_a_key_another_area_owns():
    by_service: dict[str, dict[str, set[str]]] = {}
    for path in STORAGE_MODULES:
        by_service.setdefault(path.parts[-3], {})[path.parent.name] = key_prefixes(path)
    scripted = [path for path in STORAGE_MODULES if "redis.call" in path.read_text(encoding="utf-8")]
    assert len(scripted) >= 5
    trespasses = []
    for path in scripted:
        areas = by_service[path.parts[-3]]
        for prefix in lua_prefixes(path):
            owners = sorted(area for area, prefixes in areas.items() if prefix in prefixes)
            if owners and path.parent.name not in owners:
                trespasses.append(f"{path.parent.name}'s script names {prefix}: (owned by {', '.join(owners)})")
    assert trespasses == []


def test_the_lua_checker_sees_a_script_naming_another_areas_key(tmp_path):
    sample = tmp_path / "storage.py"
    sample.write_text('S = """local raw = redis.call(\'GET\', \'component:\' .. ARGV[1])"""\n'
                      'def f(r, i):\n    return r.get(f"reports:{i}")\n', encoding="utf-8")
    assert lua_prefixes(sample) == {"component"} and key_prefixes(sample) == {"reports"}
