"""Who follows an incident or subscribes to components: asked of the users service."""
from __future__ import annotations

from polystatus import outbound
from polystatus.auth import ServiceTokenSource


class People:
    def __init__(self, users_url: str, client_id: str, client_secret: str, timeout: float = 5.0):
        self.users_url = users_url.rstrip("/")
        self.tokens = ServiceTokenSource(users_url, client_id, client_secret, timeout=timeout)
        self.timeout = timeout

    def _get(self, path: str, params: dict) -> dict:
        with outbound.client(timeout=self.timeout, retries=2) as http:
            response = http.get(f"{self.users_url}{path}", params=params, headers=self.tokens.headers())
        response.raise_for_status()
        return response.json()

    def followers(self, incident_id: str) -> list[dict]:
        return self._get("/followers", {"incident": incident_id})["followers"]

    def subscribers(self, component_ids: list[str]) -> list[dict]:
        if not component_ids:
            return []
        return self._get("/subscribers", {"component": ",".join(component_ids[:50])})["subscribers"]

    def remove(self, user_id: str, kind: str, target: str) -> None:
        with outbound.client(timeout=self.timeout, retries=2) as http:
            response = http.delete(f"{self.users_url}/users/{user_id}/{kind}/{target}", headers=self.tokens.headers())
        if response.status_code not in (204, 404):
            response.raise_for_status()
