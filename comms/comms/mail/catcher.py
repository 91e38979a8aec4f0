"""A mail catcher for development: an SMTP server on loopback that keeps every message as a
.eml file (aiosmtpd). The launcher runs it unless SMTP_URL points to a real server."""
from __future__ import annotations

import os
import time
import uuid

from aiosmtpd.controller import Controller


class SaveToDirectory:
    def __init__(self, directory: str):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        name = f"{time.time():.6f}-{uuid.uuid4().hex[:8]}.eml"
        temporary = os.path.join(self.directory, f".{name}.tmp")
        with open(temporary, "wb") as handle:
            handle.write(envelope.original_content or envelope.content)
        os.replace(temporary, os.path.join(self.directory, name))  # readers never see half a message
        return "250 Message accepted"


def start(directory: str, host: str = "127.0.0.1", port: int = 2525) -> Controller:
    controller = Controller(SaveToDirectory(directory), hostname=host, port=port)
    controller.start()
    return controller
