"""What text people type may contain, and how text is made safe for each format we write.

One set of character rules, used on both sides (issue 21):

- **At the boundary**, the field types every schema declares its text with: :class:`Name`
  (names and titles), :class:`Line` (other one-line text: URLs, header names and values,
  banners), :class:`Text` (multi-line: messages, bodies, descriptions) and :class:`Secret` (passwords,
  tokens; never shown). They refuse control characters (tab and line breaks only in
  :class:`Text`), unpaired surrogates (JSON's ``"\\ud800"`` reaches Flask as such a ``str``) and
  Unicode noncharacters with a 422 naming the field; a :class:`Name` is NFC-normalised and may
  not hold bidirectional embedding, override or isolate controls (a title must read as it
  displays). Each requires a ``Length`` validator with a maximum, so every text field states
  its limit in the OpenAPI document (``maxLength``), and marks its kind there
  (``x-polystatus-text``) so a test can find every text field of every service.
- **At every output** (feeds, badges, emails, chat and webhook payloads, the Statuspage
  documents, logs), :func:`clean` and :func:`one_line` drop or replace what was stored before
  these rules, or came from a third party (provider status pages, checked endpoints), before the
  format's own writer (ElementTree, the email package, ``json``) escapes the rest.
"""
from __future__ import annotations

import json
import re
import unicodedata

# marshmallow's fields (apiflask.fields re-exports them): clean/one_line are imported by
# domain code, which must not pull in Flask.
from marshmallow import ValidationError, validate
from marshmallow.fields import Email, String

# Unicode noncharacters: U+FDD0..U+FDEF and the last two code points of every plane.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
_SURROGATES = "\ud800-\udfff"
# C0 and C1 controls (Unicode category Cc), but for tab, line feed and carriage return.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_LAYOUT = "\t\n\r"
# What else breaks a line: line and paragraph separators (U+0085, VT and FF are controls above).
_SEPARATORS = "\u2028\u2029"
# Embeddings, overrides (U+202A..U+202E) and isolates (U+2066..U+2069): they reorder what
# follows them, so a name holding one does not read as it displays. The marks (U+200E, U+200F,
# U+061C) only nudge neutral characters and are left to right-to-left writers.
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"

_NEVER = re.compile(f"[{_CONTROLS}{_SURROGATES}{_NONCHARACTERS}]")
_NOT_IN_A_LINE = re.compile(f"[{_CONTROLS}{_LAYOUT}{_SEPARATORS}{_SURROGATES}{_NONCHARACTERS}]")
_NOT_IN_A_NAME = re.compile(f"[{_CONTROLS}{_LAYOUT}{_SEPARATORS}{_SURROGATES}{_NONCHARACTERS}{BIDI_CONTROLS}]")
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_BREAKS = re.compile(f"\r\n|[{_LAYOUT}{_SEPARATORS}\x0b\x0c\x1c-\x1e\x85]")
_UNREPRESENTABLE = re.compile(f"[{_SURROGATES}{_NONCHARACTERS}]")
# Most text is ASCII, where only C0 controls and DEL can be wrong: a small class is searched
# ten times faster than the full one (surrogates and astral noncharacters make it slow), and
# every log line and every output goes through here.
_ASCII_NEVER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASCII_NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f]")


def _find(value: str, *, multiline: bool, name: bool):
    """The first character ``value`` may not hold as text of this kind, as a match, or None."""
    if value.isascii():
        return (_ASCII_NEVER if multiline and not name else _ASCII_NOT_IN_A_LINE).search(value)
    return (_NOT_IN_A_NAME if name else _NEVER if multiline else _NOT_IN_A_LINE).search(value)


def describe(char: str) -> str:
    """What a refused character is, for the error message (a person may not see it at all)."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        what = "an unpaired surrogate"
    elif _UNREPRESENTABLE.match(char):
        what = "a Unicode noncharacter"
    elif char in "\n\r" or char in _SEPARATORS:
        what = "a line break"
    elif char == "\t":
        what = "a tab"
    elif _BIDI.match(char):
        what = "a bidirectional control"
    else:
        what = "a control character"
    return f"U+{code:04X} ({what})"


def problem(value: str, *, multiline: bool = False, name: bool = False) -> str | None:
    """Why ``value`` may not be stored as text of this kind, or None when it may."""
    found = _find(value, multiline=multiline, name=name)
    if found is None:
        return None
    char = found.group()
    hint = "; tabs and line breaks belong in multi-line text only" if char in _LAYOUT + _SEPARATORS else ""
    return f"Contains {describe(char)} at position {found.start()}{hint}."


# ------------------------------------------------------------------------------- boundary
class Pattern(validate.Regexp):
    """``Regexp`` that must match the whole value: ``$`` also matches before a final line
    break, so ``^[a-z]+$`` alone lets ``"api\\n"`` through. The OpenAPI ``pattern`` is unchanged."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class NestedText(validate.Validator):
    """For free-form JSON (a targeting rule, a flag variant's value): every string inside it,
    keys too, under the rules of multi-line text, the error naming where it is."""

    def __call__(self, value):
        for where, text in _strings(value, ""):
            reason = problem(text, multiline=True)
            if reason:
                raise ValidationError(f"{where}: {reason}" if where else reason)
        return value


def _strings(value, where: str):
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():  # a key is checked before its text is used in a path
            yield from _strings(key, f"a key of {where}" if where else "a key")
            yield from _strings(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")


class _TextField(String):
    """A string field with the character rules of its kind and a required maximum length."""

    kind = "line"
    multiline = False
    is_name = False

    def __init__(self, **kwargs):
        validators = kwargs.get("validate")
        validators = list(validators) if isinstance(validators, list | tuple) else [validators]
        if not any(isinstance(v, validate.Length) and v.max is not None for v in validators):
            raise TypeError(f"{type(self).__name__} needs validate=Length(max=...): every text field has a limit")
        metadata = {"x-polystatus-text": self.kind, **(kwargs.pop("metadata", None) or {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        reason = problem(text, multiline=self.multiline, name=self.is_name)
        if reason:
            raise ValidationError(reason)
        # NFC: the same name typed on two keyboards (é as one code point, or e + accent) is
        # one name, for uniqueness and for search. Length is validated after this.
        return unicodedata.normalize("NFC", text) if self.is_name else text


class Name(_TextField):
    """A name or a title: one line, NFC-normalised, no bidirectional controls."""

    kind, is_name = "name", True


class Line(_TextField):
    """One line of text that is not a name (a URL, a header value, a time zone, a banner)."""

    kind = "line"


class Text(_TextField):
    """Multi-line text (a message, a body): tab, line feed and carriage return allowed."""

    kind, multiline = "text", True


class EmailAddress(_TextField, Email):
    """An email address (OpenAPI ``format: email``) under the rules of one-line text: the
    address check alone lets an unpaired surrogate through in the domain."""

    kind = "line"


class Secret(_TextField):
    """A password or token: the rules of one-line text, but never normalised (a password that
    was accepted before keeps matching its hash) and never shown."""

    kind = "secret"


# --------------------------------------------------------------------------------- output
def clean(value: str, *, multiline: bool = True, name: bool = False) -> str:
    """``value`` with what no output format should carry removed: control characters are
    dropped (tab and line breaks kept when ``multiline``, else turned into spaces), unpaired
    surrogates and noncharacters become U+FFFD. The result is valid XML 1.0 character data,
    encodes to UTF-8 and holds no escape sequence for a terminal. ``name`` also drops
    bidirectional controls and applies NFC, as the boundary does for names."""
    if not isinstance(value, str):
        return value
    if _find(value, multiline=multiline, name=name) is None:  # the usual case: one scan, no copy
        return unicodedata.normalize("NFC", value) if name and not value.isascii() else value
    if not multiline or name:
        value = _BREAKS.sub(" ", value)
    value = _UNREPRESENTABLE.sub("\ufffd", value)
    value = _NEVER.sub("", value)
    if name:
        value = unicodedata.normalize("NFC", _BIDI.sub("", value))
    return value


def one_line(value: str) -> str:
    """``value`` on one line (an email header, a chat title): see :func:`clean`."""
    return clean(value, multiline=False)


def clean_tree(value):
    """:func:`clean` applied to every string (keys too) of a JSON-like document."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: clean_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_tree(v) for v in value]
    return value


# What json.dumps (ensure_ascii) writes for a character clean() would change: a control (\b,
# \f, \u0000 to \u001f, \u007f to \u009f), a surrogate, a noncharacter of the first plane; an
# escaped backslash before it makes it no escape ("C:\\build"). Astral characters are written as
# surrogate pairs and match too: the search only says when the careful path is worth taking.
_JSON_SUSPECT = re.compile(r"(?<!\\)(?:\\\\)*\\(?:[bf]|u00[01]|u007f|u00[89]|ud[89a-f]|ufd[de]|ufff[ef])")


def dumps(value, **kwargs) -> str:
    """``json.dumps(value)`` with every string (keys too) as :func:`clean` makes it: what every
    JSON answer is written with, so text stored before the rules (an unpaired surrogate, which
    no strict reader accepts even escaped; a control) never leaves a service. Most documents
    hold nothing to clean: they are written once and searched once (a few per cent of the
    writing), and only a suspect one is cleaned and written again."""
    kwargs["ensure_ascii"] = True  # the search above reads escapes
    text = json.dumps(value, **kwargs)
    if _JSON_SUSPECT.search(text) is None:
        return text
    return json.dumps(clean_tree(value), **kwargs)


def clean_json_text(raw: str) -> str:
    """A JSON document passed on as text (a proxy's), byte for byte when it holds nothing
    :func:`clean` would change, else parsed (raw controls in strings tolerated), cleaned and
    written again. Text that is no JSON is not this function's to mend: it comes back as is."""
    if _JSON_SUSPECT.search(raw) is None and _find(raw, multiline=True, name=False) is None:
        return raw
    try:
        value = json.loads(raw, strict=False)
    except (ValueError, RecursionError):
        return raw
    cleaned = clean_tree(value)
    return raw if cleaned == value else json.dumps(cleaned, separators=(",", ":"))


_VISIBLE = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    code = ord(char)
    return _VISIBLE.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                                  else f"\\U{code:08x}")


def visible(value: str) -> str:
    """``value`` with every control character, line break, surrogate and noncharacter written
    as a backslash escape: for one-line logs, where a message must not start a forged line or
    send a terminal an escape sequence, and a reader still sees what was there."""
    if _find(value, multiline=False, name=False) is None:
        return value
    return _NOT_IN_A_LINE.sub(lambda m: _escape(m.group()), value)
