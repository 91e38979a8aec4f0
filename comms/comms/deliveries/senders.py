"""Sending: SMTP (one connection per batch), Apprise (every chat and push service), and
Statuspage-shaped webhooks. The only module here that talks to the outside."""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

import apprise
from polystatus import outbound

log = logging.getLogger("comms.senders")


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class SMTPBatch:
    """One SMTP connection for many messages (batching is what makes 10,000 emails fast)."""

    def __init__(self, smtp_url: str, mail_from: str, timeout: float = 20):
        self.url = urlsplit(smtp_url)
        self.mail_from = mail_from
        self.timeout = timeout
        self.connection: smtplib.SMTP | None = None

    def __enter__(self):
        host, port = self.url.hostname or "127.0.0.1", self.url.port
        try:
            if self.url.scheme == "smtps":
                self.connection = smtplib.SMTP_SSL(host, port or 465, timeout=self.timeout,
                                                   context=ssl.create_default_context())
            else:
                self.connection = smtplib.SMTP(host, port or 25, timeout=self.timeout)
                if self.url.scheme == "smtp+starttls":
                    self.connection.starttls(context=ssl.create_default_context())
            if self.url.username:
                self.connection.login(unquote(self.url.username), unquote(self.url.password or ""))
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"cannot reach the SMTP server: {exc}") from None
        return self

    def send(self, to: str, subject: str, text: str, html: str, headers: dict | None = None,
             message_id: str | None = None) -> None:
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = to
        message["Subject"] = subject
        # A delivery's Message-ID is derived from its id: if a crash makes us send it again (the
        # server took it but we never saw its 250), mail systems see the same message twice
        # and show it once.
        message["Message-ID"] = f"<{message_id}@polystatus>" if message_id else make_msgid(domain="polystatus")
        for key, value in (headers or {}).items():
            message[key] = value
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        try:
            self.connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"recipient refused: {exc}", permanent=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"SMTP error: {exc}") from None

    def __exit__(self, *exc):
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                pass


def send_channel(url: str, title: str, body: str, webhook_payload: dict | None = None, timeout: float = 10) -> None:
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("webhook", "webhooks"):
        target = ("https" if scheme == "webhooks" else "http") + "://" + url.split("://", 1)[1]
        with outbound.client(timeout=timeout) as http:
            try:
                response = http.post(target, json=webhook_payload)
            except Exception as exc:
                raise SendError(f"webhook unreachable: {exc}") from None
        if response.status_code >= 400:
            raise SendError(f"webhook answered HTTP {response.status_code}", permanent=400 <= response.status_code < 500
                            and response.status_code not in (408, 429))
        return
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise SendError("Apprise does not understand this channel URL", permanent=True)
    if not notifier.notify(title=title, body=body):
        raise SendError("the channel did not accept the message")
