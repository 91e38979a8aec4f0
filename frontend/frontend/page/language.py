"""English and French: one JSON dictionary per area of the site (``frontend/i18n/<area>.json``,
``{"en": {...}, "fr": {...}}``), read by the server to render pages and embedded, for the
current language only, in the page for its scripts. ``common`` (header, footer, status words)
goes with every page.

The language comes from the ``lang`` cookie (set by the switch in the header, a plain link, so
it works without JavaScript), else from the browser's Accept-Language, else English."""
from __future__ import annotations

import json
import os
from datetime import UTC, timedelta
from functools import cache, lru_cache

from flask import request
from polystatus.clock import parse_iso

LANGUAGES = ("en", "fr")
FOLDER = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n")
COOKIE = "lang"


@cache
def dictionary(area: str) -> dict[str, dict[str, str]]:
    path = os.path.join(FOLDER, f"{area}.json")
    if not os.path.exists(path):
        return {code: {} for code in LANGUAGES}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def strings(lang: str, areas: tuple[str, ...]) -> dict[str, str]:
    """Every string of ``areas`` (after ``common``) in ``lang``, English filling any gap."""
    merged: dict[str, str] = {}
    for area in ("common", *areas):
        doc = dictionary(area)
        merged.update(doc.get("en", {}))
        merged.update(doc.get(lang, {}))
    return merged


def current() -> str:
    return pick(request.cookies.get(COOKIE), request.headers.get("Accept-Language"))


def pick(cookie: str | None, accept_language: str | None) -> str:
    """The language from the ``lang`` cookie's value, else from an Accept-Language header."""
    if cookie in LANGUAGES:
        return cookie
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    return parse_accept_header(accept_language or "", LanguageAccept).best_match(LANGUAGES) or "en"


def from_cookie_header(header: str | None) -> str | None:
    """The ``lang`` cookie's value in a raw Cookie header (the fast transport has no parser)."""
    from http.cookies import CookieError, SimpleCookie

    if not header or COOKIE not in header:
        return None
    try:
        jar = SimpleCookie(header)
    except CookieError:
        return None
    return jar[COOKIE].value if COOKIE in jar else None


class Translator:
    """``t("key", count=3)``: the string with ``{count}`` filled; the key itself when unknown."""

    def __init__(self, lang: str, areas: tuple[str, ...]):
        self.lang = lang
        self.strings = strings(lang, areas)

    def __call__(self, key: str, **values) -> str:
        text = self.strings.get(key, key)
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.strings


# Dates and numbers on the server-rendered pages (Babel, CLDR data). Dates are shown in UTC,
# inside <time datetime="...">, which the page's script re-writes in the visitor's time zone.
def parse_time(iso: str | None):
    if not iso:
        return None
    try:
        return parse_iso(iso)
    except ValueError:
        return None


@lru_cache(maxsize=8192)  # 90 days x components: the same few labels again and again
def format_datetime(iso: str | None, lang: str, style: str = "medium") -> str:
    from babel.dates import format_date as babel_date
    from babel.dates import format_datetime as babel_datetime
    from babel.dates import format_time

    moment = parse_time(iso)
    if not moment:
        return ""
    moment = moment.astimezone(UTC)
    if style != "medium":
        return babel_datetime(moment, style, locale=lang) + " UTC"
    return f"{babel_date(moment, 'medium', locale=lang)}, {format_time(moment, 'short', locale=lang)} UTC"


@lru_cache(maxsize=8192)  # 90 days x components: the same few labels again and again
def format_date(iso: str | None, lang: str) -> str:
    from babel.dates import format_date as babel_date

    moment = parse_time(iso)
    return babel_date(moment, "medium", locale=lang) if moment else ""


@lru_cache(maxsize=8192)  # 90 days x components: the same few labels again and again
def format_number(value: float, lang: str, digits: int = 0) -> str:
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=lang)


def format_duration(seconds: float, lang: str) -> str:
    from babel.dates import format_timedelta

    seconds = max(0, int(seconds))
    parts = []
    for size in (86400, 3600, 60):
        if seconds >= size and len(parts) < 2:
            parts.append(format_timedelta(timedelta(seconds=seconds - seconds % size), threshold=1,
                                          granularity={86400: "day", 3600: "hour", 60: "minute"}[size],
                                          format="short", locale=lang))
            seconds %= size
    return " ".join(parts) if parts else format_timedelta(timedelta(seconds=seconds), format="short", locale=lang)
