"""Flag evaluation: rules, operators, segments, deterministic splits. Pure functions.

Bucketing: murmur3 (32-bit, unsigned) of "<flag key>/<bucketing value>" modulo 10,000, where the
bucketing value is the context's `targetingKey` unless a rule names another attribute. A split
gives each variant a range of buckets in the order the variants are listed, so raising the first
variant's share from 10 % to 20 % keeps everyone who had it.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import mmh3
import semver
from polystatus.clock import parse_iso
from polystatus.errors import Invalid

TYPES = {"boolean": (bool,), "string": (str,), "integer": (int,), "float": (float, int), "object": (dict, list)}
OPERATORS = {"in", "not_in", "equals", "not_equals", "starts_with", "ends_with", "contains", "regex", "<", "<=", ">",
             ">=", "semver_eq", "semver_lt", "semver_lte", "semver_gt", "semver_gte", "before", "after"}
BUCKETS = 10_000


class EvaluationError(Exception):
    def __init__(self, code: str, details: str):
        super().__init__(details)
        self.code = code
        self.details = details


def bucket(flag_key: str, value: str) -> int:
    return mmh3.hash(f"{flag_key}/{value}", signed=False) % BUCKETS


def _date(value) -> datetime:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    return parse_iso(value)


def _number(value):
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    return float(value)


def condition_holds(condition: dict, context: dict) -> bool:
    attribute, op, expected = condition["attribute"], condition["op"], condition.get("value")
    if attribute not in context:
        return op == "not_in"
    actual = context[attribute]
    try:
        if op == "in":
            return actual in expected
        if op == "not_in":
            return actual not in expected
        if op == "equals":
            return actual == expected
        if op == "not_equals":
            return actual != expected
        if op == "starts_with":
            return str(actual).startswith(str(expected))
        if op == "ends_with":
            return str(actual).endswith(str(expected))
        if op == "contains":
            return str(expected) in actual if isinstance(actual, (list, str)) else False
        if op == "regex":
            return re.search(str(expected), str(actual)) is not None
        if op in ("<", "<=", ">", ">="):
            a, b = _number(actual), _number(expected)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        if op.startswith("semver_"):
            comparison = semver.Version.parse(str(actual).lstrip("v")).compare(str(expected).lstrip("v"))
            return {"semver_eq": comparison == 0, "semver_lt": comparison < 0, "semver_lte": comparison <= 0,
                    "semver_gt": comparison > 0, "semver_gte": comparison >= 0}[op]
        if op == "before":
            return _date(actual) < _date(expected)
        if op == "after":
            return _date(actual) > _date(expected)
    except (TypeError, ValueError) as exc:
        raise EvaluationError("INVALID_CONTEXT", f"attribute {attribute!r} cannot be compared with {op}: {exc}") from None
    return False


def matches(when: dict | None, context: dict, segments: dict[str, dict]) -> bool:
    if not when:
        return True
    if "segment" in when:
        segment = segments.get(when["segment"])
        return segment is not None and matches(segment.get("when"), context, segments)
    if "all" in when:
        return all(_part(item, context, segments) for item in when["all"])
    if "any" in when:
        return any(_part(item, context, segments) for item in when["any"])
    return _part(when, context, segments)


def _part(item: dict, context: dict, segments: dict) -> bool:
    if any(k in item for k in ("all", "any", "segment")):
        return matches(item, context, segments)
    return condition_holds(item, context)


def split_variant(flag_key: str, split: dict[str, float], value: str) -> str:
    point = bucket(flag_key, value)
    edge = 0.0
    for variant, weight in split.items():
        edge += weight * BUCKETS / 100
        if point < edge:
            return variant
    return list(split)[-1]


def evaluate(flag: dict, context: dict, segments: dict[str, dict]) -> dict:
    """{value, variant, reason, metadata} or EvaluationError.

    A disabled flag has no value: OFREP's code-default answer (ADR 0006), so the SDK serves
    the default written in the application's code, with reason DISABLED. Its variant is still
    named (the default variant), because SDKs read it.
    """
    metadata = {**(flag.get("metadata") or {}), "version": flag.get("version", 1)}
    if not flag.get("enabled", True):
        return {"variant": flag["default_variant"], "reason": "DISABLED", "metadata": metadata}
    for index, rule in enumerate(flag.get("rules") or []):
        if not matches(rule.get("when"), context, segments):
            continue
        if rule.get("split"):
            attribute = rule.get("bucket_by", "targetingKey")
            if attribute not in context or context[attribute] in (None, ""):
                raise EvaluationError("TARGETING_KEY_MISSING", f"a split needs `{attribute}` in the context")
            variant = split_variant(flag["key"], rule["split"], str(context[attribute]))
            reason = "SPLIT"
        else:
            variant, reason = rule["variant"], "TARGETING_MATCH"
        return {"value": flag["variants"][variant], "variant": variant, "reason": reason,
                "metadata": {**metadata, "rule": rule.get("name") or str(index)}}
    variant = flag["default_variant"]
    return {"value": flag["variants"][variant], "variant": variant,
            "reason": "DEFAULT" if flag.get("rules") else "STATIC", "metadata": metadata}


def change_entry(*, kind: str, key: str, before: dict | None, after: dict | None, actor: str, at: str) -> dict:
    """The audit entry of a change to a flag or segment (``before`` None: created; ``after``
    None: deleted)."""
    action = "created" if before is None else ("deleted" if after is None else "updated")
    return {"at": at, "actor": actor, "action": action, "kind": kind, "key": key, "before": before, "after": after}


def validate(flag: dict, segments: dict[str, dict]) -> dict:
    """Check a flag document; answers it with typed values (floats as floats)."""
    errors: dict[str, list] = {}
    kinds = TYPES[flag["type"]]
    variants = dict(flag["variants"])
    for name, value in variants.items():
        if not isinstance(value, kinds) or (flag["type"] in ("integer", "float") and isinstance(value, bool)):
            errors.setdefault("variants", []).append(f"{name}: not a {flag['type']}")
        elif flag["type"] == "float":
            variants[name] = float(value)
    if flag["default_variant"] not in variants:
        errors["default_variant"] = ["Not one of the variants."]
    for name, value in (flag.get("metadata") or {}).items():
        # OpenFeature flag metadata: string keys to booleans, strings or numbers only.
        if not isinstance(value, (bool, str, int, float)) or name in ("version", "rule"):
            errors.setdefault("metadata", []).append(f"{name}: a boolean, string or number (version and rule are ours)")
    for index, rule in enumerate(flag.get("rules") or []):
        if rule.get("split"):
            unknown = set(rule["split"]) - set(variants)
            if unknown or abs(sum(rule["split"].values()) - 100) > 1e-6:
                errors[f"rules[{index}].split"] = ["Weights of known variants adding up to 100."]
        elif rule.get("variant") not in variants:
            errors[f"rules[{index}].variant"] = ["Not one of the variants."]
        for problem in _check_when(rule.get("when"), segments):
            errors.setdefault(f"rules[{index}].when", []).append(problem)
    if errors:
        raise Invalid("The flag is not valid.", details=errors)
    return {**flag, "variants": variants}


def _check_when(when, segments) -> list[str]:
    if not when:
        return []
    problems = []
    if "segment" in when:
        if when["segment"] not in segments:
            problems.append(f"unknown segment {when['segment']!r}")
        return problems
    items = when.get("all") or when.get("any") or [when]
    for item in items:
        if any(k in item for k in ("all", "any", "segment")):
            problems += _check_when(item, segments)
        elif item.get("op") not in OPERATORS or "attribute" not in item:
            problems.append(f"conditions need attribute and an op among {sorted(OPERATORS)}")
        elif item["op"] == "regex":
            try:
                re.compile(str(item.get("value")))
            except re.error as exc:
                problems.append(f"invalid regex: {exc}")
    return problems


def _names_segment(when, key: str) -> bool:
    if not isinstance(when, dict):
        return False
    if "segment" in when:
        return when["segment"] == key
    return any(_names_segment(item, key) for item in (when.get("all") or when.get("any") or []))


def segment_users(key: str, flags: dict[str, dict], segments: dict[str, dict]) -> dict[str, list[str]]:
    """The flags whose rules, and the other segments whose conditions, name segment ``key``."""
    return {"flags": sorted(k for k, flag in flags.items()
                            if any(_names_segment(rule.get("when"), key) for rule in flag.get("rules") or [])),
            "segments": sorted(k for k, segment in segments.items()
                               if k != key and _names_segment(segment.get("when"), key))}
