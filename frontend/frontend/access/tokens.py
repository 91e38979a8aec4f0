"""Read tokens (``?token=``) of a private page: users keeps them; the frontend asks it and
remembers each answer a minute (a revoked token stops working within that minute)."""
from __future__ import annotations

import hashlib
import threading
import time

import httpx
from polystatus.auth import ServiceTokenSource


class ReadTokens:
    REMEMBER_S = 60.0
    REMEMBER_MAX = 10_000

    def __init__(self, users_url: str, client_id: str, client_secret: str, *, http: httpx.Client, timeout: float):
        self.url = f"{users_url.rstrip('/')}/page-tokens/check"
        self.http = http
        self.timeout = timeout
        self.source = ServiceTokenSource(users_url, client_id, client_secret, timeout=timeout) if client_id else None
        self._known: dict[str, tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def valid(self, token: str) -> bool:
        if not token or len(token) > 200 or self.source is None:
            return False
        key = hashlib.sha256(token.encode()).hexdigest()  # never the token itself in memory longer than needed
        now = time.monotonic()
        with self._lock:
            known = self._known.get(key)
        if known is not None and now < known[1]:
            return known[0]
        try:
            answer = self.http.post(self.url, json={"token": token}, headers=self.source.headers(), timeout=self.timeout)
        except httpx.HTTPError:
            return False  # fail closed: users away means no new token is believed (known ones still are)
        if answer.status_code not in (204, 404):
            return False
        verdict = answer.status_code == 204
        with self._lock:
            if len(self._known) >= self.REMEMBER_MAX:
                self._known.clear()
            self._known[key] = (verdict, now + self.REMEMBER_S)
        return verdict
