"""Sending: SMTP (one connection per batch), Apprise (every chat and push service),
Statuspage-shaped webhooks, and Sentry (``sentry.py``). With ``sentry.py``, the only modules
here that talk to the outside."""
from __future__ import annotations

import logging
import re
import secrets
import smtplib
import ssl
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

import apprise
from polystatus import outbound
from polystatus.text import clean, clean_tree, one_line

log = logging.getLogger("comms.senders")


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


# --------------------------------------------------------------------------------- rendering
# Rendering a message with the email package's EmailMessage costs 2 to 4 ms of CPU here (header
# objects, folding, a generator pass): it was most of the time of a fan-out to 10,000 people
# (bench/comms_fanout.py), and it folded long List-Unsubscribe URLs into encoded words. Our
# messages always have one shape (text + html alternatives, a few headers), so they are written
# directly, with the email package's own encoders for the parts that need encoding:
# RFC 2047 encoded words for non-ASCII header text, quoted-printable UTF-8 for non-ASCII or
# long-lined bodies, 7bit otherwise. The result is ASCII with CRLF line ends (no SMTPUTF8 or
# 8BITMIME needed). Addresses that are not plain ASCII go through EmailMessage (SMTPUTF8).
# Text stored before it was validated (issue 21) is cleaned first: a control character or an
# unpaired surrogate would make an invalid message, or one the encoders refuse.
_CRLF = "\r\n"
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
_MAX_LINE = 998  # RFC 5322 2.1.1, without the CRLF


def _header_text(value: str) -> str:
    """Unstructured header text: on one line (no header injection), encoded if not plain ASCII.
    A short ASCII value stays as it is, so a URL in List-Unsubscribe (RFC 2369) is never turned
    into encoded words."""
    value = one_line(str(value))
    if value.isascii() and len(value) <= 900:
        return value
    return Header(value, "utf-8").encode(linesep=_CRLF)


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _address(value: str) -> str | None:
    if _PLAIN_ADDRESS.fullmatch(value):  # the usual case, without the cost of parseaddr
        return value
    name, address = parseaddr(" ".join(str(value).splitlines()))
    if not address or "@" not in address or not address.isascii():
        return None
    return formataddr((name, address), charset="utf-8")


def _part(content: str, subtype: str) -> str:
    content = clean(content).replace("\r\n", "\n").replace("\r", "\n")
    if not content.endswith("\n"):
        content += "\n"
    if content.isascii() and max(map(len, content.split("\n"))) <= _MAX_LINE:
        encoding, body = "7bit", content
    else:
        encoding, body = "quoted-printable", _UTF8_QP.body_encode(content)
    return (f'Content-Type: text/{subtype}; charset="utf-8"{_CRLF}Content-Transfer-Encoding: {encoding}{_CRLF}{_CRLF}'
            + body.replace("\n", _CRLF))


def render(mail_from: str, to: str, subject: str, text: str, html: str, headers: dict | None = None,
           message_id: str | None = None) -> bytes | None:
    """The message as bytes ready for DATA, or None when an address needs EmailMessage."""
    sender, recipient = _address(mail_from), _address(to)
    if sender is None or recipient is None:
        return None
    parts = _part(text, "plain"), _part(html, "html")
    boundary = f"===============polystatus{secrets.token_hex(12)}=="
    while any(boundary in part for part in parts):  # only conceivable in a 7bit part
        boundary = f"===============polystatus{secrets.token_hex(12)}=="
    lines = [f"From: {sender}", f"To: {recipient}", f"Subject: {_header_text(subject)}",
             f"Date: {formatdate(usegmt=True)}",
             f"Message-ID: <{message_id}@polystatus>" if message_id else f"Message-ID: {make_msgid(domain='polystatus')}"]
    lines += [f"{name}: {_header_text(value)}" for name, value in (headers or {}).items()]
    lines += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{boundary}"', "",
              # The CRLF before a delimiter belongs to the delimiter (RFC 2046 5.1.1): each part's
              # own last line break is kept by writing one more.
              f"--{boundary}{_CRLF}{parts[0]}{_CRLF}--{boundary}{_CRLF}{parts[1]}{_CRLF}--{boundary}--", ""]
    return _CRLF.join(lines).encode("ascii")


def _email_message(mail_from: str, to: str, subject: str, text: str, html: str, headers: dict | None,
                   message_id: str | None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = to
    message["Subject"] = one_line(subject)  # a line break in a header raises ValueError
    message["Message-ID"] = f"<{message_id}@polystatus>" if message_id else make_msgid(domain="polystatus")
    for key, value in (headers or {}).items():
        message[key] = one_line(str(value))
    message.set_content(clean(text))
    message.add_alternative(clean(html), subtype="html")
    return message


class SMTPBatch:
    """One SMTP connection for many messages (batching is what makes 10,000 emails fast)."""

    def __init__(self, smtp_url: str, mail_from: str, timeout: float = 20):
        self.url = urlsplit(smtp_url)
        self.mail_from = mail_from
        self.envelope_from = parseaddr(mail_from)[1]
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
        # A delivery's Message-ID is derived from its id: if a crash makes us send it again (the
        # server took it but we never saw its 250), mail systems see the same message twice
        # and show it once.
        raw = render(self.mail_from, to, subject, text, html, headers, message_id)
        try:
            if raw is None:
                self.connection.send_message(_email_message(self.mail_from, to, subject, text, html, headers, message_id))
            else:
                self.connection.sendmail(self.envelope_from, [to], raw)
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


def unsubscribe_headers(url: str | None, *, one_click: bool) -> dict | None:
    """List-Unsubscribe (RFC 2369), and with it RFC 8058's one-click POST when the URL takes it."""
    if not url:
        return None
    headers = {"List-Unsubscribe": f"<{url}>"}
    if one_click:
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def send_channel(url: str, title: str, body: str, webhook_payload: dict | None = None, timeout: float = 10, *,
                 sentry_payload: dict | None = None) -> None:
    # JSON carries any character but an unpaired surrogate (httpx would fail to encode it), and
    # chat services choke on control characters: what was stored before issue 21 is cleaned.
    title, body = one_line(title), clean(body)
    webhook_payload, sentry_payload = clean_tree(webhook_payload), clean_tree(sentry_payload)
    scheme = url.split("://", 1)[0].lower()
    if sentry_payload is not None:
        # Imported here: sentry-sdk is loaded only by a comms that has a Sentry channel.
        from ..channels.service import sentry_target
        from . import sentry

        try:
            target = sentry_target(url)
        except Exception as exc:  # noqa: BLE001 (Invalid: the URL was changed since planning)
            raise SendError(f"not a Sentry channel URL: {exc}", permanent=True) from None
        sentry.send(target, sentry_payload, timeout=timeout)
        return
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
