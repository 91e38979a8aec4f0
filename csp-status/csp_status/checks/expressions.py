"""Conditions of assertion checks: Gatus's condition language, as Gatus documents and tests it,
plus two PolyStatus additions. Never eval.

    condition := operand " OP " operand       (one space on each side of the operator, as Gatus)
    OP        := == | != | < | <= | > | >=    (Gatus)  |  =~ (PolyStatus: regular expression search)
    operand   := placeholder | len(placeholder) | has(placeholder) | pat(glob) | any(a, b, ...)
               | "a quoted string" (PolyStatus) | anything else, read as literal text (Gatus)

How Gatus reads a condition, and so how we do (its README, ``config/endpoint/condition.go`` and
``condition_test.go``; the cases of that test are replayed from tests/gatus_conditions.yaml):

- Every operand resolves to *text*. ``==``/``!=`` compare two texts as integers when both read as
  Go integers (``0x1F``, ``0o17``, ``0b101``, ``017``, ``1_000``), else as strings. ``pat(...)``
  matches a glob (``*``, ``?``, ``[a-z]``), ``any(...)`` a comma-separated list.
- ``<``, ``<=``, ``>``, ``>=`` compare numbers: a Go duration (``300ms``, ``1.5s``, ``2h45m``) in
  milliseconds, else an integer, else a float truncated to an integer, else 0.
- ``[BODY]`` is the raw body; ``[BODY].a.b[0]`` walks JSON the way Gatus's jsonpath does (a path
  that leads nowhere resolves to ``<path> (INVALID)``); ``len()`` counts an array's elements, or
  the characters of anything else (an object as minified JSON); ``has()`` says whether a path
  resolves.
- Unknown bracketed words are literal text (``raw == raw`` holds), as in Gatus.

PolyStatus' additions (we add, never change): a double-quoted operand is a string literal with
JSON escapes (``[BODY].status == "ok"``), and ``=~`` searches a quoted regular expression.
One deliberate difference: a bare number compared with ``[CERTIFICATE_EXPIRATION]`` or
``[DOMAIN_EXPIRATION]`` counts hours (PolyStatus' earlier form; Gatus reads milliseconds, and its
README always writes a unit, ``> 48h``, which means the same here).

Placeholders are declared once, in ``PLACEHOLDERS``: a check kind fills the values it has in the
context dict (name -> raw value) and every other placeholder resolves to its zero value, as in
Gatus. A new kind (SQL rows, say) adds its placeholders with ``register``.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

MAX_LENGTH = 500
INVALID = "(INVALID)"
OPERATORS = ("==", "!=", "<=", ">=", ">", "<")  # Gatus's order of precedence
_NUMERIC = {"<=", ">=", ">", "<"}


@dataclass(frozen=True)
class Placeholder:
    """kind: number | text | bool | duration (milliseconds) | json (walkable by path, len, has) |
    map (a dict looked up by key, case-insensitively, e.g. headers). ``null_text``: for json, what
    a JSON null (or no value at all) resolves to; None keeps Gatus's ``(INVALID)``."""
    name: str
    kind: str
    description: str
    null_text: str | None = None


PLACEHOLDERS: dict[str, Placeholder] = {}


def register(name: str, kind: str, description: str, *, null_text: str | None = None) -> None:
    PLACEHOLDERS[name] = Placeholder(name, kind, description, null_text)


register("STATUS", "number", "HTTP status of the response (0 when there was none)")
register("RESPONSE_TIME", "number", "time the request took, in milliseconds")
register("IP", "text", "address of the target host (dns with a server: the server's)")
register("BODY", "json", "response body (dns: the answer; tcp: nothing); a JSON path may follow")
register("CONNECTED", "bool", "whether a connection was established")
register("CERTIFICATE_EXPIRATION", "duration", "time before the TLS certificate expires (0 without TLS)")
register("DOMAIN_EXPIRATION", "duration", "time before the domain's registration expires (RDAP)")
register("DNS_RCODE", "text", "DNS response code of a dns check with a server: NOERROR, NXDOMAIN, ...")
register("HEADERS", "map", "response headers, by name (PolyStatus)")

HOURS_WHEN_BARE = {"CERTIFICATE_EXPIRATION", "DOMAIN_EXPIRATION"}


class ExpressionError(ValueError):
    """A condition refused when it is saved, with why (Gatus's own wording where it has one)."""

    def __init__(self, message: str, expression: str, position: int = 0):
        super().__init__(message)
        self.position = position
        self.expression = expression


@dataclass(frozen=True)
class Condition:
    source: str
    left: str
    op: str
    right: str

    def placeholders(self) -> set[str]:
        return {m.upper() for m in re.findall(r"\[([A-Za-z_]+)\]", self.source)} & set(PLACEHOLDERS)


_REGEX_FORM = re.compile(r'^\s*(?P<left>\S+) ?=~ ?(?P<right>"(?:[^"\\]|\\.)*")\s*$')
_QUOTED = re.compile(r'^"(?:[^"\\]|\\.)*"$')


@lru_cache(maxsize=4096)  # a check's conditions are parsed again on every run
def parse(expression: str) -> Condition:
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"invalid condition: longer than {MAX_LENGTH} characters", expression, MAX_LENGTH)
    regex = _REGEX_FORM.match(expression)
    if regex:
        pattern = _literal(regex["right"])
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ExpressionError(f"invalid condition: {expression} (the pattern after =~ does not compile: {exc})",
                                  expression, regex.start("right")) from None
        return Condition(expression, regex["left"], "=~", regex["right"])
    for op in OPERATORS:
        separator = f" {op} "
        if separator in expression:
            parts = expression.split(separator)
            if len(parts) > 2:
                # our quoted strings may hold an operator: split where one side is one quoted string
                splits = [(expression[:i], expression[i + len(separator):]) for i in _occurrences(expression, separator)]
                quoted = [(a, b) for a, b in splits if _QUOTED.match(a.strip()) or _QUOTED.match(b.strip())]
                if len(quoted) == 1:
                    return Condition(expression, quoted[0][0].strip(), op, quoted[0][1].strip())
                raise ExpressionError(f"invalid condition: {expression} ({op} appears more than once)",
                                      expression, expression.find(separator, expression.find(separator) + 1) + 1)
            return Condition(expression, parts[0].strip(), op, parts[1].strip())
    if "=~" in expression:
        raise ExpressionError(f"invalid condition: {expression} (=~ needs a double-quoted pattern on its right)",
                              expression, expression.find("=~"))
    raise ExpressionError(f"invalid condition: {expression} (expected <value> <operator> <value>, with a space on "
                          "each side of ==, !=, <, <=, >, >= or =~)", expression, 0)


def _occurrences(text: str, part: str) -> list[int]:
    found, start = [], text.find(part)
    while start >= 0:
        found.append(start)
        start = text.find(part, start + 1)
    return found


# --- resolving an operand to Gatus's text ----------------------------------------------------------
def _literal(text: str) -> str:
    try:
        return json.loads(text)
    except ValueError:
        return text[1:-1]


def _function(operand: str) -> tuple[str | None, str]:
    for name in ("len", "has"):
        if operand.startswith(f"{name}(") and operand.endswith(")"):
            return name, operand[len(name) + 1:-1]
    return None, operand


def resolve(operand: str, context: dict) -> str:
    """The text an operand stands for, as Gatus resolves it."""
    if _QUOTED.match(operand):
        return _literal(operand)
    function, inner = _function(operand)
    match = re.match(r"^\[([A-Za-z_]+)\]", inner)
    placeholder = PLACEHOLDERS.get(match[1].upper()) if match else None
    if placeholder is None:
        if function == "has":
            return "false"
        return f"{operand} {INVALID}" if function == "len" else operand
    rest = inner[match.end():]
    value = context.get(placeholder.name)
    if placeholder.kind == "json":
        return _resolve_json(value, rest, function, operand, placeholder.null_text)
    if placeholder.kind == "map":
        return _resolve_map(value, rest, function, operand)
    if rest:  # a path after a placeholder that has none: Gatus leaves it as text
        return operand if function is None else ("false" if function == "has" else f"{operand} {INVALID}")
    text = _text(placeholder, value)
    if function == "has":
        return "true" if text else "false"
    if function == "len":
        return str(len(text.encode()))
    return text


def _text(placeholder: Placeholder, value) -> str:
    if placeholder.kind == "bool":
        return "true" if value else "false"
    if placeholder.kind in ("number", "duration"):
        return str(math.trunc(value)) if isinstance(value, (int, float)) and math.isfinite(value) else "0"
    return "" if value is None else str(value)


def _raw(value) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def _resolve_json(value, path: str, function: str | None, operand: str, null_text: str | None = None) -> str:
    if value is None and null_text is not None:
        return _null(function, null_text)
    body = _raw(value)
    if not path:
        trimmed = body.strip().decode("utf-8", errors="replace")
        if function == "has":
            return "true" if trimmed else "false"
        if function == "len":
            try:
                return str(jsonpath("", body)[1])
            except JsonPathError:
                return str(len(trimmed.encode()))
        return trimmed
    if not (path.startswith(".") or path.startswith("[")):
        return operand if function is None else ("false" if function == "has" else f"{operand} {INVALID}")
    try:
        text, length = jsonpath(path[1:] if path.startswith(".") else path, body)
    except JsonNull:
        if null_text is not None:
            return _null(function, null_text)
        return "false" if function == "has" else f"{operand} {INVALID}"
    except JsonPathError:
        return "false" if function == "has" else f"{operand} {INVALID}"
    if function == "has":
        return "true"
    return str(length) if function == "len" else text


def _null(function: str | None, null_text: str) -> str:
    """A SQL NULL or a Redis nil: it holds no value (has() is false, len() is 0) and shows as
    ``null_text``, so ``[ROWS][0].status (NULL) == ok`` says what was seen."""
    return "false" if function == "has" else ("0" if function == "len" else null_text)


def _resolve_map(value, path: str, function: str | None, operand: str) -> str:
    mapping = {str(k).lower(): str(v) for k, v in (value or {}).items()}
    if not path:
        text = json.dumps(dict(sorted(mapping.items())), separators=(",", ":"))
        return "true" if function == "has" and mapping else ("false" if function == "has" else
                                                            str(len(mapping)) if function == "len" else text)
    found = mapping.get(path.lstrip(".").lower()) if path.startswith(".") else None
    if function == "has":
        return "true" if found is not None else "false"
    if found is None:
        return f"{operand} {INVALID}"
    return str(len(found.encode())) if function == "len" else found


# --- Gatus's jsonpath, read from its documentation and tests ---------------------------------------
class JsonPathError(ValueError):
    pass


class JsonNull(JsonPathError):
    """The path leads to a JSON null (Gatus: invalid, like a path leading nowhere)."""


_MISSING = object()  # a key or index that is not there (None is a JSON null)


def _no_constants(name):
    raise ValueError(name)


def jsonpath(path: str, body: bytes) -> tuple[str, int]:
    """(text, length) at ``path`` in a JSON ``body``. Numbers are read as 64-bit floats and printed
    as Go prints them; an object at the end of the path is minified JSON with sorted keys."""
    if not path and not (body[:1] == b"[" and body[-1:] == b"]"):
        return body.decode("utf-8", errors="replace"), len(body)
    try:
        document = json.loads(body.decode("utf-8", errors="replace"), parse_int=float, parse_constant=_no_constants)
    except ValueError as exc:
        raise JsonPathError(str(exc)) from None
    return _walk(path, document)


def _split_keys(path: str) -> list[str]:
    keys, start, depth = [], 0, 0
    for i, char in enumerate(path):
        depth += (char == "[") - (char == "]")
        if char == "." and depth == 0:
            keys.append(path[start:i])
            start = i + 1
    keys.append(path[start:])
    return keys


def _walk(path: str, document) -> tuple[str, int]:
    keys = _split_keys(path)
    key = keys[0]
    value = _extract(key, document)
    if isinstance(value, dict):
        shorter = path.replace(f"{key}.", "", 1)
        if shorter == path:
            text = go_json(value)
            return text, len(text.encode())
        return _walk(shorter, value)
    if isinstance(value, str):
        if len(keys) > 1:
            raise JsonPathError(f"cannot walk through {keys[1]!r}: {key!r} is a string")
        return value, len(value.encode())
    if isinstance(value, list):
        return go_format(value), len(value)
    if value is _MISSING:
        raise JsonPathError(f"nothing at {key!r}")
    if value is None:
        raise JsonNull(f"null at {key!r}")
    text = go_format(value)
    return text, len(text.encode())


def _extract(key: str, value):
    if key.endswith("]") and "[" in key:
        start = end = depth = 0
        index, nested = "", False
        for i, char in enumerate(key):
            if char == "[":
                start, depth = i, depth + 1
            elif char == "]" and depth == 1:
                end, index = i, key[start + 1:i]
                nested = key[i + 1:i + 2] == "["
                break
        if not re.fullmatch(r"[+-]?\d+", index) or int(index) < 0:
            return _MISSING
        position, name = int(index), key[:start]
        if name:
            value = value.get(name) if isinstance(value, dict) else None
        array = value if isinstance(value, list) else []
        if position < len(array):
            return _extract(key[end + 1:], array[position]) if nested else array[position]
        return _MISSING
    if isinstance(value, list):
        return value  # Gatus answers the whole array for a key asked of an array
    if isinstance(value, dict):
        return value.get(key, _MISSING)
    return value


def go_json(value) -> str:
    """A JSON value as Go's json.Marshal writes it: minified, keys sorted, <, > and & escaped,
    numbers (64-bit floats) in their shortest form."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{go_json(k)}:{go_json(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    if isinstance(value, float):
        return _go_json_float(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                              ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
            text = text.replace(char, escaped)
        return text
    return json.dumps(value)


def _go_json_float(number: float) -> str:
    if number == 0:
        return "0" if math.copysign(1, number) > 0 else "-0"
    if 1e-6 <= abs(number) < 1e21:
        sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
        return ("-" if sign else "") + _positional("".join(map(str, digits)), len(digits) + exponent)
    mantissa, _, exp = repr(number).partition("e")
    return f"{mantissa}e{exp[0]}{int(exp[1:])}"


def _positional(digits: str, point: int) -> str:
    if point <= 0:
        return f"0.{'0' * -point}{digits}"
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return f"{digits[:point]}.{digits[point:]}"


def go_format(value) -> str:
    """A JSON value as Go's fmt %v prints it (how Gatus turns what it found into text)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, list):
        return "[" + " ".join(go_format(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_format(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def _go_float(number: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64): shortest digits; exponent form below 1e-4 or from 1e6."""
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    text_digits = "".join(map(str, digits))
    point = len(text_digits) + exponent  # position of the decimal point
    exp = point - 1
    prefix = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mantissa = text_digits[0] + ("." + text_digits[1:] if len(text_digits) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return prefix + _positional(text_digits, point)


# --- Go's number and duration syntax -------------------------------------------------------------
_GO_INT = re.compile(r"^[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?[0-7])*|[1-9](?:_?[0-9])*)$")


def go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64): None when Go would refuse it."""
    if not _GO_INT.match(text):
        return None
    body = text.lstrip("+-").replace("_", "")
    negative = text.startswith("-")
    if len(body) > 1 and body[0] == "0" and body[1] in "0123456789":
        value = int(body, 8)
    else:
        value = int(body, 0)
    value = -value if negative else value
    return value if -(2**63) <= value < 2**63 else None


_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9,
          "h": 3600 * 10**9}
_DURATION_PART = re.compile(r"(\d*)(?:\.(\d*))?([a-zµμ]+)")


def go_duration_ns(text: str) -> int | None:
    """time.ParseDuration(text) in nanoseconds, or None when Go refuses it."""
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return 0
    if not body:
        return None
    total, position = Fraction(0), 0
    while position < len(body):
        part = _DURATION_PART.match(body, position)
        if not part or (not part[1] and not part[2]) or part[3] not in _UNITS:
            return None
        whole = Fraction(int(part[1] or 0))
        fraction = Fraction(int(part[2]), 10 ** len(part[2])) if part[2] else Fraction(0)
        total += (whole + fraction) * _UNITS[part[3]]
        position = part.end()
    nanoseconds = math.trunc(total)
    if nanoseconds >= 2**63:
        return None
    return -nanoseconds if text.startswith("-") else nanoseconds


_GO_FLOAT = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def _number(text: str, *, hours: bool = False) -> int:
    """A numeric operand as Gatus reads it: a (non-zero) duration in ms, an integer, a float
    truncated, or 0. ``hours``: a bare number counts hours (see the module's docstring)."""
    duration = go_duration_ns(text)
    if duration:
        return math.trunc(Fraction(duration, 1_000_000))
    integer = go_int(text)
    if integer is not None:
        return integer * 3_600_000 if hours else integer
    if _GO_FLOAT.match(text):
        value = float(text)
        return math.trunc(value * 3_600_000 if hours else value) if math.isfinite(value) else 0
    return 0


def format_duration(ms: int) -> str:
    """Gatus's formatDuration: Go's Duration.String truncated to seconds, trailing 0s/0m dropped."""
    seconds = math.trunc(ms / 1000) if abs(ms) < 2**53 else ms // 1000
    if seconds == 0:
        return "0s"
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}h{minutes}m{secs}s" if hours else (f"{minutes}m{secs}s" if minutes else f"{secs}s")
    # Only whole zero components go (Gatus's own trim would also turn 1m30s into 1m3).
    if text.endswith("m0s"):
        text = text[:-2]
        text = text[:-2] if text.endswith("h0m") else text
    return sign + text


# --- comparing -----------------------------------------------------------------------------------
def _unwrap(text: str, name: str) -> str | None:
    return text[len(name) + 1:-1] if text.startswith(f"{name}(") and text.endswith(")") else None


def glob_match(pattern: str, text: str) -> bool:
    """Gatus's pattern.Match: Go's filepath.Match once every '/' is removed from both sides."""
    if pattern == "*":
        return True
    pattern, text = pattern.replace("/", ""), text.replace("/", "")
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "\\":
            if i + 1 >= len(pattern):
                return False
            i += 1
            out.append(re.escape(pattern[i]))
        elif char == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1:i + 2] == "^" else i + 1)
            if end < 0:
                return False
            body = pattern[i + 1:end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            if not body:
                return False
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    try:
        return re.fullmatch("".join(out), text, re.DOTALL) is not None
    except re.error:
        return False


def is_equal(first: str, second: str) -> bool:
    """Gatus's isEqual: pat() and any() on either side, then integers, then text."""
    first_pattern, second_pattern = _unwrap(first, "pat"), _unwrap(second, "pat")
    if (first_pattern is None) != (second_pattern is None):
        return glob_match(first_pattern, second) if first_pattern is not None else glob_match(second_pattern, first)
    if first_pattern is not None:
        first, second = first_pattern, second_pattern
    first_any, second_any = _unwrap(first, "any"), _unwrap(second, "any")
    if (first_any is None) != (second_any is None):
        options, value = (first_any, second) if first_any is not None else (second_any, first)
        return any(option.strip() == value for option in options.split(","))
    if first_any is not None:
        first, second = first_any, second_any
    a, b = go_int(first), go_int(second)
    if a is not None and b is not None:
        return a == b
    return first == second


def _is_duration_placeholder(operand: str) -> bool:
    return operand.upper() in {f"[{name}]" for name, p in PLACEHOLDERS.items() if p.kind == "duration"}


def _hours_side(condition: Condition) -> tuple[bool, bool]:
    """Which bare-number sides count hours: the side facing an expiration placeholder."""
    def expiration(operand):
        return operand.upper() in {f"[{name}]" for name in HOURS_WHEN_BARE}
    return expiration(condition.right), expiration(condition.left)


def evaluate(condition: Condition, context: dict, *, resolve_success: bool = False,
             resolve_failure: bool = True) -> tuple[bool, str]:
    """(holds, what Gatus would display): the condition with resolved values in parentheses when
    it fails (``[STATUS] (500) == 200``), as written when it holds (Gatus's ui options
    resolve-successful-conditions and dont-resolve-failed-conditions change that)."""
    parameters = [condition.left, condition.right]
    resolved = [resolve(p, context) for p in parameters]
    op = condition.op
    if op in ("==", "!="):
        ok = is_equal(*resolved) == (op == "==")
        shown = resolved
    elif op == "=~":
        ok = not resolved[0].endswith(INVALID) and re.search(resolved[1], resolved[0]) is not None
        shown = resolved
    else:
        facing = _hours_side(condition)
        hours = [facing[i] and resolved[i] == parameters[i] and go_duration_ns(parameters[i]) is None
                 and (go_int(parameters[i]) is not None or bool(_GO_FLOAT.match(parameters[i]))) for i in (0, 1)]
        numbers = [_number(text, hours=hours[i]) for i, text in enumerate(resolved)]
        ok = {"<": numbers[0] < numbers[1], "<=": numbers[0] <= numbers[1],
              ">": numbers[0] > numbers[1], ">=": numbers[0] >= numbers[1]}[op]
        shown = [format_duration(number) if _is_duration_placeholder(parameters[i]) or hours[i]
                 or go_duration_ns(parameters[i]) is not None else str(number) for i, number in enumerate(numbers)]
    if (ok and not resolve_success) or (not ok and not resolve_failure):
        return ok, condition.source
    return ok, _prettify(parameters, list(shown), op)


def _prettify(parameters: list[str], resolved: list[str], op: str) -> str:
    for mine, other in ((0, 1), (1, 0)):
        if _unwrap(parameters[mine], "pat") is not None and len(resolved[other].encode()) > 25:
            resolved[other] = f"{resolved[other][:25]}...(truncated)"
    sides = []
    for parameter, value in zip(parameters, resolved, strict=True):
        if value == f"{parameter} {INVALID}" or value == parameter:
            sides.append(value)
        else:
            sides.append(f"{parameter} ({value})")
    return f"{sides[0]} {op} {sides[1]}"
