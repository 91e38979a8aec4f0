"""Schemathesis over a service's own OpenAPI document, for its test suite (issue 10), and
arbitrary text at every text field with strict readers of every output (issue 21).

Every operation of the document gets generated requests (valid and invalid); each answer must
not be a 5xx and must match the documented responses. Kept in the shared package so every
service fuzzes the same way, with the same budget per operation.
"""
from __future__ import annotations

import copy
import io
import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import quote

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from .text import problem

# A request the schema allows may still break a domain rule (a weak password, a transition
# that makes no sense): those are 4xx by design, so "schema-valid data must be accepted" is
# not one of our checks. Everything else schemathesis checks by default stays on.
EXCLUDED = [positive_data_acceptance]


def fuzz(app, *, headers: dict | None = None, max_examples: int = 20, skip: tuple[str, ...] = (),
         strict: bool = True) -> int:
    """Fuzz every operation of ``app``; returns how many operations were exercised.

    ``strict`` also validates status codes, content types and bodies against the document.
    """
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    exercised = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if any(operation.path.startswith(prefix) for prefix in skip):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def run(case):
            if strict:
                case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
            else:
                response = case.call(headers=headers)
                case.validate_response(response, checks=[not_a_server_error])

        run()
        exercised += 1
    return exercised


# ----------------------------------------------------------------- arbitrary text (issue 21)
# Every text field of every write route gets arbitrary Unicode: the route answers 2xx or a 422
# naming the field, and whatever shows the text afterwards still parses. The routes come from
# the service's live OpenAPI document, so a new field is fuzzed without anyone listing it, and
# a new route without a baseline body in its service's table fails the completeness check.
# What breaks formats, sent to every field: controls (C0, DEL, C1 with NEL), line breaks that
# would inject headers, unpaired surrogates, noncharacters, bidi overrides and isolates, markup
# for HTML, XML and CDATA, a decomposed accent (NFC), astral characters and a very long word.
SPECIALS = (
    "\x00", "a\x0cb", "\x1b[31mred", "\x7f", "\x85", "\x9f", "tab\there", "\ud800", "x\udfffy", "\ufffe",
    "\uffff", "\ufdd0", "\U0010ffff", "\u202eevil", "\u2066isolate\u2069", "para\u2029graph",
    "line\r\nBcc: eve@example.com", "<script>alert(1)</script>", "]]><![CDATA[&amp;", "\"'`\\", "e\u0301",
    "🙂🙃", "http://[::1", "w" * 3000,
)
SPECIAL_FOR_PATTERNS = ("api\n", "api\x00", "\ud800", "<b>", "")
KEY = "<key>"  # in a slot's path: the key of a map (a JSON object with additionalProperties)
WRITES = ("post", "put", "patch")


def nasty_text():
    """Arbitrary Unicode, surrogates included, mixed with the pieces that break formats."""
    anything = st.text(st.characters(exclude_categories=()), max_size=30)
    return st.lists(st.one_of(anything, st.sampled_from(SPECIALS), st.integers(1, 1500).map("x".__mul__)),
                    min_size=1, max_size=5).map("".join)


@dataclass(frozen=True)
class Slot:
    """One place a string goes in a write request: the JSON body (``path`` of keys, 0 for a
    list's first item, KEY for a map's key) or the query string."""

    location: str
    path: tuple
    schema: dict

    @property
    def field(self) -> str:
        return next(p for p in reversed(self.path) if isinstance(p, str) and p != KEY)

    @property
    def is_text(self) -> bool:
        return "x-polystatus-text" in self.schema

    def refuses(self, value: str) -> bool:
        """Whether the text rules (polystatus.text) must refuse ``value`` here, whatever else
        the route thinks of it; a pattern refuses anything with a control character in it."""
        kind = self.schema.get("x-polystatus-text")
        if kind is None:
            return "pattern" in self.schema and problem(value) is not None
        return problem(value, multiline=kind == "text", name=kind == "name") is not None

    def __str__(self) -> str:
        return self.location + "".join(f"[{p}]" if not isinstance(p, str) or p == KEY else f".{p}" for p in self.path)


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_string(schema: dict) -> bool:
    kind = schema.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def _walk(spec: dict, schema: dict, path: tuple, out: list) -> None:
    schema = _resolve(spec, schema)
    if _is_string(schema):
        out.append((path, schema))
    elif schema.get("type") == "array" and schema.get("items"):
        _walk(spec, schema["items"], (*path, 0), out)
    elif schema.get("type") == "object" or "properties" in schema:
        for name, sub in (schema.get("properties") or {}).items():
            if not _resolve(spec, sub).get("readOnly"):
                _walk(spec, sub, (*path, name), out)
        extra = schema.get("additionalProperties")
        if path and extra is not None and extra is not False:
            out.append(((*path, KEY), {"type": "string"}))  # the keys of a map are text too
            if isinstance(extra, dict) and extra:
                _walk(spec, extra, (*path, "k"), out)


def write_operations(spec: dict) -> dict[tuple[str, str], dict]:
    """(METHOD, path) -> operation, for every operation that takes a JSON body or a query."""
    found = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in WRITES or not isinstance(operation, dict):
                continue
            body = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
            query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            if body or query:
                found[(method.upper(), path)] = operation
    return found


def text_slots(spec: dict, method: str, path: str) -> list[Slot]:
    """Every string slot of one write operation, from its OpenAPI description (enums aside:
    they are choices, not text)."""
    operation = spec["paths"][path][method.lower()]
    slots = []
    body = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    if body:
        found = []
        _walk(spec, body["schema"], (), found)
        slots += [Slot("json", p, s) for p, s in found]
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and _is_string(_resolve(spec, parameter.get("schema", {}))):
            slots.append(Slot("query", (parameter["name"],), _resolve(spec, parameter["schema"])))
    return [s for s in slots if "enum" not in s.schema]


def unmarked_text(spec: dict) -> list[str]:
    """String slots of write operations that are neither a PolyStatus text field (Name, Line,
    Text, Secret...) nor constrained by a pattern or format: each one is a field a new schema
    declared with a bare ``String``, which the text rules do not cover."""
    loose = []
    for method, path in write_operations(spec):
        for slot in text_slots(spec, method, path):
            if slot.path[-1] == KEY:
                continue  # a map's keys are not described by OpenAPI; fuzzed all the same
            if not (slot.is_text or "pattern" in slot.schema or "format" in slot.schema):
                loose.append(f"{method} {path} {slot}")
    return loose


def text_coverage(spec: dict, routes: dict) -> list[str]:
    """What a service's text test would miss: a write route of the document without a line in
    its table (or a line for a route that is gone), and text fields declared with a bare String."""
    documented, listed = set(write_operations(spec)), set(routes)
    return ([f"no line in the table for {method} {path}" for method, path in sorted(documented - listed)]
            + [f"no such route: {method} {path}" for method, path in sorted(listed - documented)]
            + [f"not a polystatus.text field: {loose}" for loose in unmarked_text(spec)])


def with_value(body: dict | None, slot: Slot, value: str) -> dict:
    """A copy of ``body`` with ``value`` at the slot: a map's key becomes one more entry beside
    the valid ones (which other fields may refer to), a list's first item is replaced."""
    body = copy.deepcopy(body or {})
    parent, path = body, slot.path
    for index, step in enumerate(path[:-1]):
        following = path[index + 1]
        if isinstance(parent, list):
            if not parent:
                parent.append({})
        elif parent.get(step) is None:
            parent[step] = [] if following == 0 else {}
        if following == KEY:
            existing = parent[step] or {}
            parent[step] = {**existing, value: next(iter(existing.values()), "x")}
            return body
        parent = parent[step]
    if isinstance(parent, list):
        parent[:1] = [value]
    else:
        parent[path[-1]] = value
    return body


def names_field(details, field: str) -> bool:
    """Whether a validation error's details mention ``field`` (at any depth, as a key, alone or
    in a path such as ``rules[0].split``)."""
    if isinstance(details, dict):
        return any(field in re.split(r"[.\[\]]", str(key)) for key in details) \
            or any(names_field(v, field) for v in details.values())
    if isinstance(details, list):
        return any(names_field(v, field) for v in details)
    return False


def query_string(values: dict) -> str:
    # A browser cannot send an unpaired surrogate in a URL; its UTF-8-like bytes are sent, which
    # the server decodes (with replacement) like any other bad byte sequence.
    return "&".join(f"{quote(k)}={quote(v, errors='surrogatepass')}" for k, v in values.items())


@dataclass
class Route:
    """A valid request for one write operation; the fuzzer puts arbitrary text in each slot.

    ``prepare(client)`` creates what the route needs (the incident an update is for) and answers
    its path parameters; ``body`` and ``query`` are valid values the slots are swapped into.
    """

    body: dict | None = None
    query: dict | None = None
    prepare: object = None
    also: tuple[int, ...] = ()  # the right answer to text that is valid but not the secret (401)
    headers: dict | None = None  # instead of the caller's (an agent's token)


def fuzz_text(client, routes: dict[tuple[str, str], Route], *, headers: dict, reset, outputs,
              examples: int = 2, patterns: bool = True) -> int:
    """Send SPECIALS and ``examples`` Hypothesis strings to every slot of every route. Each
    answer must be 2xx, or 422 naming the field; after a 2xx, ``outputs()`` re-reads every
    format that shows the text and parses it strictly (and /metrics is parsed at the end). ``reset()`` empties the service's
    storage before each request (so a name is never already taken). Returns the slots tried.

    The SPECIALS cover every class of character the rules are about, on every run; the few
    Hypothesis examples per slot differ from run to run (no example database), so the random
    part grows with every CI run while each run stays short."""
    spec = client.get("/openapi.json").get_json()

    def attempt(method: str, path: str, route: Route, slot: Slot, value: str) -> None:
        reset()
        params = route.prepare(client) if route.prepare else {}
        url = path.format(**params)
        body, query = route.body, dict(route.query or {})
        if slot.location == "json":
            body = with_value(body, slot, value)
        else:
            query[slot.field] = value
        if query:
            url += "?" + query_string(query)
        data = None if body is None else json.dumps(body)
        response = client.open(url, method=method, data=data, headers=route.headers or headers,
                               content_type="application/json" if data is not None else None)
        where = f"{method} {path} {slot} = {value[:80]!r}"
        # A URL cannot carry an unpaired surrogate: the server decodes its bytes to U+FFFD.
        seen = value if slot.location == "json" else value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        if slot.refuses(seen):
            assert response.status_code == 422, f"{where}: text the rules refuse answered {response.status_code}"
        if response.status_code == 422:
            details = (response.get_json() or {}).get("error", {}).get("details")
            assert names_field(details, slot.field), f"{where}: 422 without naming {slot.field}: {response.get_json()}"
            return
        if response.status_code in route.also:
            return
        assert 200 <= response.status_code < 300, f"{where}: answered {response.status_code} {response.get_data()[:300]}"
        outputs()

    def arbitrary(method: str, path: str, route: Route, slot: Slot) -> None:
        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(value=nasty_text())
        def run(value):
            attempt(method, path, route, slot, value)

        run()

    tried = 0
    for (method, path), route in routes.items():
        for slot in text_slots(spec, method, path):
            free = not ("pattern" in slot.schema or "format" in slot.schema) or slot.is_text
            for value in SPECIALS if free else SPECIAL_FOR_PATTERNS if patterns else ():
                attempt(method, path, route, slot, value)
            if free and examples:
                arbitrary(method, path, route, slot)
            tried += 1
    # Once, at the end: metrics carry no text a request gave (their labels are routes), and the
    # Prometheus parser is the slowest reader here.
    strict_metrics(client.get("/metrics").get_data(as_text=True))
    return tried


# ---------------------------------------------------------------- strict readers of outputs
def strict_json(raw: bytes):
    """Parse JSON the way a strict reader does: UTF-8, and no unpaired surrogate even escaped."""
    document = json.loads(raw.decode("utf-8"))
    json.dumps(document, ensure_ascii=False).encode("utf-8")  # raises on an unpaired surrogate
    return document


def strict_xml(raw: bytes):
    """Parse with expat (ElementTree): any character XML 1.0 cannot carry is an error."""
    from xml.etree import ElementTree as ET

    return ET.fromstring(raw)  # noqa: S314 (our own output, in a test: no entity expansion to fear)


def strict_feed(raw: bytes):
    import feedparser

    strict_xml(raw)
    feed = feedparser.parse(raw)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def strict_metrics(text: str) -> list:
    from prometheus_client.parser import text_string_to_metric_families

    return list(text_string_to_metric_families(text))


def strict_email(raw: bytes, recipients: list[str]):
    """Parse a message with the email package in strict mode (any defect raises) and check it
    goes to exactly ``recipients`` (no address smuggled in from a subject)."""
    import email
    from email import policy

    message = email.message_from_bytes(raw, policy=policy.strict)
    addresses = [a.addr_spec for name in ("To", "Cc", "Bcc") for h in message.get_all(name, []) for a in h.addresses]
    assert sorted(addresses) == sorted(recipients), (addresses, recipients)
    for part in message.walk():
        if not part.is_multipart():
            part.get_content()
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", raw), "a control character in the raw message"
    return message


class Snapshot:
    """A Redis database as it is now, put back by :meth:`restore` (DUMP and RESTORE of every
    key): a fuzzer starts each request from the same prepared state, fast."""

    def __init__(self, url: str):
        import redis

        self.r = redis.Redis.from_url(url)
        self.saved = {key: self.r.dump(key) for key in self.r.scan_iter(count=1000)}

    def restore(self) -> None:
        pipe = self.r.pipeline(transaction=True)
        pipe.flushdb()
        for key, value in self.saved.items():
            pipe.restore(key, 0, value, replace=True)
        pipe.execute()


class LogCapture:
    """Every record logged while it is open, written by both of our formatters, for
    :meth:`check`: each JSON line strict JSON, each text record one line (its own further lines,
    a traceback, indented) with no control character, so no message can forge a record."""

    LEVELS = re.compile(r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) +\S")

    def __enter__(self):
        from .logs import JSONFormatter, TextFormatter

        self.json, self.text = io.StringIO(), io.StringIO()
        self.handlers = [logging.StreamHandler(self.json), logging.StreamHandler(self.text)]
        self.handlers[0].setFormatter(JSONFormatter("test"))
        self.handlers[1].setFormatter(TextFormatter())
        root = logging.getLogger()
        self.level = root.level
        root.setLevel(logging.INFO)
        root.handlers.extend(self.handlers)
        return self

    def __exit__(self, *exc):
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
        root.setLevel(self.level)

    def check(self) -> int:
        """Checks what was logged so far; returns how many records."""
        lines = self.json.getvalue().splitlines()
        for line in lines:
            strict_json(line.encode("utf-8"))
        for line in self.text.getvalue().split("\n")[:-1]:
            assert self.LEVELS.match(line) or line.startswith("  "), f"a text log line that is no record: {line!r}"
            assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]", line), f"a control in a log line: {line!r}"
        return len(lines)
