"""Reading the mail catcher's directory (admin pages list what was 'sent' in development)."""
from __future__ import annotations

import email
import os
from email import policy


def listing(directory: str, limit: int) -> list[dict]:
    if not directory or not os.path.isdir(directory):
        return []
    names = sorted((n for n in os.listdir(directory) if n.endswith(".eml")), reverse=True)[:limit]
    return [summary(directory, n) for n in names]


def summary(directory: str, name: str) -> dict:
    with open(os.path.join(directory, name), "rb") as handle:
        message = email.message_from_binary_file(handle, policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    return {"id": name[:-4], "to": str(message["To"]), "from": str(message["From"]), "subject": str(message["Subject"]),
            "text": body.get_content() if body else ""}


def read(directory: str, message_id: str) -> dict | None:
    name = f"{message_id}.eml"
    if "/" in message_id or not os.path.isfile(os.path.join(directory, name)):
        return None
    return summary(directory, name)
