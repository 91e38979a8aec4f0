"""Asking comms to send one of its account emails (comms owns what mails say and how they
leave; users only says which mail, to whom, in which language, with which link)."""
from __future__ import annotations

import time

import httpx
from polystatus import outbound
from polystatus.errors import Unavailable

from ..auth import service as auth_service


class Mailer:
    def __init__(self, comms_url: str, ring, *, issuer: str, timeout: float):
        self.comms_url = comms_url.rstrip("/")
        self.ring = ring
        self.issuer = issuer
        self.timeout = timeout

    def _token(self) -> str:
        # users signs its own service token (it holds the keys): no round trip to itself.
        return self.ring.sign(auth_service.service_claims("users", issuer=self.issuer, now=time.time(), ttl_s=60))

    def send(self, template: str, *, to: str, lang: str, link: str) -> None:
        try:
            with outbound.client(timeout=self.timeout, retries=1) as http:
                response = http.post(f"{self.comms_url}/messages", headers={"Authorization": f"Bearer {self._token()}"},
                                     json={"template": template, "to": to, "lang": lang, "link": link})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise Unavailable("The email could not be sent right now; try again in a minute.",
                              details={"reason": type(exc).__name__}) from None
