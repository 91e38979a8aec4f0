"""The audit trail's rules: what an entry is, which entries a query asks for. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DAY_MS = 86_400_000


def retention_floor_ms(*, now_ms: int, retention_days: int) -> int:
    """Entries older than this (epoch milliseconds) are dropped."""
    return now_ms - retention_days * DAY_MS


def entry_from_event(*, event_id: str, time: str, source: str, data: dict) -> dict:
    """The stored shape of an ``audit.recorded`` event: its data, with the event's id and time."""
    return {"id": event_id, "time": time, **data, "service": data.get("service") or source}


def time_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass(frozen=True)
class Query:
    actor: str | None = None      # a user id or email (exact), or a kind: anonymous, service
    object: str | None = None     # an object type ("incidents") or type/id ("incidents/INC-1")
    service: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None

    def matches(self, entry: dict) -> bool:
        actor = entry.get("actor") or {}
        if self.actor and self.actor.lower() not in {str(actor.get(k) or "").lower() for k in ("id", "email", "kind")}:
            return False
        if self.service and entry.get("service") != self.service:
            return False
        if self.object:
            kind, _, wanted_id = self.object.partition("/")
            found = entry.get("object") or {}
            if found.get("type") != kind or (wanted_id and str(found.get("id")) != wanted_id):
                return False
        return True
