"""A small, safe condition language for assertion checks (Bresse, Gatus). Never eval.

    condition := operand OP operand
    operand   := PLACEHOLDER path? | FUNC "(" PLACEHOLDER path? ")" | NUMBER | STRING | true | false | null
    PLACEHOLDER := [STATUS] | [RESPONSE_TIME] | [BODY] | [HEADERS] | [CERTIFICATE_EXPIRATION] | [CONNECTED]
    path      := ( "." NAME | "[" INTEGER "]" )*          e.g. [BODY].data[0].id, [HEADERS].content-type
    FUNC      := len | has
    OP        := == | != | < | <= | > | >= | =~ (regex search, right side a string)

[RESPONSE_TIME] is in milliseconds; [CERTIFICATE_EXPIRATION] in hours. A failing condition
says which condition failed and the value it saw.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDERS = {"STATUS", "RESPONSE_TIME", "BODY", "HEADERS", "CERTIFICATE_EXPIRATION", "CONNECTED"}
OPS = ("==", "!=", "<=", ">=", "=~", "<", ">")
_TOKEN = re.compile(r"""
    (?P<ws>\s+) | (?P<placeholder>\[[A-Z_]+\]) | (?P<index>\[\d+\]) | (?P<dot>\.[A-Za-z0-9_\-]+)
  | (?P<op>==|!=|<=|>=|=~|<|>) | (?P<lparen>\() | (?P<rparen>\)) | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*") | (?P<word>[A-Za-z_]+)
""", re.VERBOSE)


class ExpressionError(ValueError):
    def __init__(self, message: str, expression: str, position: int):
        super().__init__(f"{message} at position {position} in {expression!r}")
        self.position = position


_MISSING = object()


@dataclass(frozen=True)
class Operand:
    kind: str  # placeholder | literal
    value: object = None
    path: tuple = ()
    func: str | None = None

    def text(self) -> str:
        if self.kind == "literal":
            return repr(self.value)
        inner = f"[{self.value}]" + "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in self.path)
        return f"{self.func}({inner})" if self.func else inner


@dataclass(frozen=True)
class Condition:
    source: str
    left: Operand
    op: str
    right: Operand


def _tokens(expression: str):
    position = 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if not match:
            raise ExpressionError(f"unexpected character {expression[position]!r}", expression, position)
        if match.lastgroup != "ws":
            yield match.lastgroup, match.group(), position
        position = match.end()


def parse(expression: str) -> Condition:
    if len(expression) > 500:
        raise ExpressionError("expression too long", expression, 500)
    tokens = list(_tokens(expression))
    index = 0

    def peek():
        return tokens[index] if index < len(tokens) else (None, None, len(expression))

    def take(kind=None):
        nonlocal index
        token = peek()
        if token[0] is None or (kind and token[0] != kind):
            raise ExpressionError(f"expected {kind or 'more'}, found {token[1] or 'the end'}", expression, token[2])
        index += 1
        return token

    def placeholder_with_path(func=None):
        _, text, position = take("placeholder")
        name = text[1:-1]
        if name not in PLACEHOLDERS:
            raise ExpressionError(f"unknown placeholder {text}", expression, position)
        path = []
        while peek()[0] in ("dot", "index"):
            kind, value, _ = take()
            path.append(value[1:] if kind == "dot" else int(value[1:-1]))
        return Operand("placeholder", name, tuple(path), func)

    def operand():
        kind, text, position = peek()
        if kind == "placeholder":
            return placeholder_with_path()
        if kind == "word" and text in ("len", "has"):
            take()
            take("lparen")
            result = placeholder_with_path(func=text)
            take("rparen")
            return result
        if kind == "word" and text in ("true", "false", "null"):
            take()
            return Operand("literal", {"true": True, "false": False, "null": None}[text])
        if kind == "number":
            take()
            return Operand("literal", float(text) if "." in text else int(text))
        if kind == "string":
            take()
            return Operand("literal", bytes(text[1:-1], "utf-8").decode("unicode_escape"))
        raise ExpressionError(f"expected a value, found {text or 'the end'}", expression, position)

    left = operand()
    _, op, position = take("op")
    right = operand()
    if peek()[0] is not None:
        raise ExpressionError(f"unexpected {peek()[1]!r} after the condition", expression, peek()[2])
    if op == "=~":
        if right.kind != "literal" or not isinstance(right.value, str):
            raise ExpressionError("=~ needs a string pattern on the right", expression, position)
        try:
            re.compile(right.value)
        except re.error as exc:
            raise ExpressionError(f"invalid pattern: {exc}", expression, position) from None
    return Condition(expression, left, op, right)


def _resolve(operand: Operand, context: dict):
    if operand.kind == "literal":
        return operand.value
    value = context.get(operand.value, _MISSING)
    for step in operand.path:
        if isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            lowered = {k.lower(): v for k, v in value.items()} if operand.value == "HEADERS" else value
            value = lowered.get(step.lower() if operand.value == "HEADERS" else step, _MISSING)
        else:
            value = _MISSING
        if value is _MISSING:
            break
    if operand.func == "has":
        return value is not _MISSING
    if operand.func == "len":
        return len(value) if isinstance(value, (str, list, dict)) else _MISSING
    return value


def evaluate(condition: Condition, context: dict) -> tuple[bool, str]:
    left, right = _resolve(condition.left, context), _resolve(condition.right, context)
    shown = "missing" if left is _MISSING else repr(left)
    if left is _MISSING or right is _MISSING:
        return False, f"{condition.source} failed: {condition.left.text()} is missing"
    try:
        if condition.op == "=~":
            ok = re.search(right, str(left)) is not None
        elif condition.op in ("==", "!="):
            if isinstance(left, (int, float)) and isinstance(right, str):
                right = _number(right, right)
            equal = left == right or (str(left) == str(right) and not isinstance(left, bool))
            ok = equal if condition.op == "==" else not equal
        else:
            a, b = _number(left, left), _number(right, right)
            ok = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[condition.op]
    except TypeError:
        ok = False
    return ok, ("" if ok else f"{condition.source} failed: {condition.left.text()} was {shown}")


def _number(value, default):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
