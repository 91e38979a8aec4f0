"""Notification channels declared in a YAML file (CHANNELS_CONFIG), for people who keep their
setup in git, as Py Pinger kept its Slack and Sentry blocks in its config:

    channels:
      - name: Sentry
        url_env: CHANNEL_URL_SENTRY      # sentry+https://<key>@o1.ingest.sentry.io/42, from the environment
        events: [check.status_changed]
      - name: Ops Slack
        url_env: CHANNEL_URL_SLACK
        events: ["incident.*", check.status_changed]
        severities: [major, critical]

Each item has the API's fields (``POST /channels``), with the URL either inline (``url``) or,
better, named (``url_env``: a ``CHANNEL_URL_*`` variable or its ``_FILE``), since a channel URL
is a credential and config files end up in git. Applied by name, idempotently; channels not in
the file are left alone (the API may own them). An invalid file changes nothing, and the error
names the item and the field. Every item passes the API's own schema and rules.
"""
from __future__ import annotations

import re

import yaml
from marshmallow import ValidationError
from polystatus.errors import Invalid

from .channels import schemas, service

URL_ENV = re.compile(r"^CHANNEL_URL_[A-Z0-9_]{1,60}$")


class ConfigError(Invalid):
    pass


def _label(index: int, item) -> str:
    return f"channels[{index}] ({item.get('name', '?') if isinstance(item, dict) else '?'})"


def _resolve_url(item: dict, read_secret) -> dict:
    """The item with ``url`` in place of ``url_env``; Invalid naming the field when it cannot be."""
    if "url_env" not in item:
        return item
    if "url" in item:
        raise Invalid("Give url or url_env, not both.", details={"url_env": ["Give url or url_env, not both."]})
    name = item["url_env"]
    if not isinstance(name, str) or not URL_ENV.match(name):
        raise Invalid("url_env names a variable CHANNEL_URL_<NAME>.",
                      details={"url_env": ["A variable named CHANNEL_URL_<NAME> (upper case, digits, _)."]})
    url = read_secret(name)
    if not url:
        raise Invalid(f"{name} is not set.", details={"url_env": [f"{name} (or {name}_FILE) is not set."]})
    return {**{k: v for k, v in item.items() if k != "url_env"}, "url": url}


def load(text: str, *, read_secret) -> list[dict]:
    """The file's channels, validated as the API validates them; ConfigError listing every problem."""
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"The channels file is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(doc, dict) or set(doc) - {"channels"} or not isinstance(doc.get("channels") or [], list):
        raise ConfigError("The channels file has one section, channels: a list of channels.")
    channels, errors = [], {}
    for index, item in enumerate(doc.get("channels") or []):
        try:
            if not isinstance(item, dict):
                raise Invalid("A channel is a mapping of fields.", details={"_schema": ["Not a mapping."]})
            data = schemas.ChannelIn().load(_resolve_url(item, read_secret))
            service.validate(data)
            channels.append(data)
        except ValidationError as exc:
            errors[_label(index, item)] = exc.messages
        except Invalid as exc:
            errors[_label(index, item)] = exc.details or exc.message
    names = [c["name"] for c in channels]
    if len(names) != len(set(names)):
        errors["channels"] = ["Names must be unique."]
    if errors:
        raise ConfigError("The channels file has errors; nothing was applied.", details=errors)
    return channels
