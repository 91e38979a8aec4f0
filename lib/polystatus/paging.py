"""Pages of a long list (accounts, subscribers, dead letters): the query, the answer's shape and
the window, declared once. A listing subclasses ``PageQuery`` (another ``per_page`` default if
it wants) and ``Page`` (adding its list), then answers ``answer(name, items, query, total)``."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Integer
from apiflask.validators import Range


class PageQuery(Schema):
    page = Integer(load_default=1, validate=Range(min=1, max=100000))
    per_page = Integer(load_default=50, validate=Range(min=1, max=200))


class Page(Schema):
    page = Integer()
    per_page = Integer()
    total = Integer()


def window(query: dict) -> tuple[int, int]:
    """(offset, limit) of the page the query asks for."""
    return (query["page"] - 1) * query["per_page"], query["per_page"]


def answer(name: str, items: list, query: dict, total: int) -> dict:
    return {name: items, "page": query["page"], "per_page": query["per_page"], "total": total}
