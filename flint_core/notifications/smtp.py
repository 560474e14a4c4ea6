"""Sending one email over SMTP (the standard library's smtplib), and what the server answered.

``compose`` builds the message: multipart/alternative with the plain-text and the HTML body, From,
To, Reply-To (the merchant), Date (when the notification was written) and the notification's own
Message-ID, so every attempt to send it is the same message, byte for byte. ``send`` delivers it in one session
(STARTTLS or TLS and a login when the URL asks for them) and never raises for what the server or the
network does: their failures are its ``Reply``.
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from flint_core.platform.settings import SmtpServer

TIMEOUT = 20.0  # seconds per wait on the server; keep the job lease well above it (docs/jobs.md)
REPLY_CHARS = 1000  # of a reply kept (the column's size)
ENVELOPE = ("MAIL", "RCPT", "DATA")  # the steps about this message: a 5xx there refuses it for good


class Unsendable(ValueError):
    """The message cannot be written as an email (an address that is not one): no attempt can succeed."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What one attempt came to: the server's reply code and text (the last one it gave), or, when it gave
    none, what went wrong (``code`` None: no connection, a dropped connection, a timeout)."""

    code: int | None
    text: str
    step: str  # where it ended: CONNECT, STARTTLS, LOGIN, MAIL, RCPT or DATA

    @property
    def accepted(self) -> bool:
        """The server took responsibility for the message (its answer to the end of DATA was 2xx)."""
        return self.step == "DATA" and self.code is not None and 200 <= self.code < 300

    @property
    def refused(self) -> bool:
        """The server refused this message for good (a 5xx about its sender, recipient or content).
        Anything else (4xx, no answer, a failed login or TLS upgrade: the server's configuration) is
        worth another attempt."""
        return self.step in ENVELOPE and self.code is not None and 500 <= self.code < 600

    def summary(self) -> str:
        text = " ".join(self.text.split())
        return (f"{self.code} {text}" if self.code is not None else f"{self.step}: {text}")[:REPLY_CHARS]


def compose(*, from_: str, sender_name: str, to: str, reply_to: str | None, subject: str, text: str, html: str,
            message_id: str, date: datetime) -> EmailMessage:
    """The email: ``from_`` is the configured From (``Settings.email_from``); when it names nobody, the
    merchant's name (``sender_name``) is shown. Raises Unsendable for an address that is not one."""
    try:
        [(display, address)] = getaddresses([from_])
        message = EmailMessage(policy=email.policy.SMTP)
        message["From"] = Address(display_name=display or " ".join(sender_name.split()), addr_spec=address)
        message["To"] = Address(addr_spec=to)
        if reply_to:
            message["Reply-To"] = Address(addr_spec=reply_to)
        message["Subject"] = " ".join(subject.split())
        message["Date"] = format_datetime(date)
        message["Message-ID"] = message_id
        # quoted-printable: 7-bit safe for any server (8bit would need its 8BITMIME), and readable
        message.set_content(text, cte="quoted-printable")
        message.add_alternative(html, subtype="html", cte="quoted-printable")
        # a boundary of its own, not a random one, so that every attempt sends the same bytes; "=_" never
        # occurs in quoted-printable text
        message.set_boundary("=_" + message_id.strip("<>").replace("@", "."))
    except (ValueError, IndexError, MessageError) as exc:
        raise Unsendable(f"cannot be written as an email: {exc}") from exc
    return message


def _connect(server: SmtpServer, timeout: float) -> smtplib.SMTP:
    if server.security == "tls":
        return smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=ssl.create_default_context())
    return smtplib.SMTP(server.host, server.port, timeout=timeout)


def send(server: SmtpServer, message: EmailMessage, *, timeout: float = TIMEOUT) -> Reply:
    """Deliver ``message`` to its one recipient; the server's last answer, whatever happened."""
    sender = message["From"].addresses[0].addr_spec
    recipient = message["To"].addresses[0].addr_spec
    international = not (sender + recipient).isascii()  # needs the server's SMTPUTF8
    step = "CONNECT"
    smtp: smtplib.SMTP | None = None
    try:
        smtp = _connect(server, timeout)
        smtp.ehlo_or_helo_if_needed()
        if server.security == "starttls":
            step = "STARTTLS"
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if server.username is not None:
            step = "LOGIN"
            smtp.login(server.username, server.password or "")
        step = "MAIL"
        if international and not smtp.has_extn("smtputf8"):
            return Reply(553, "the server does not take non-ASCII addresses (no SMTPUTF8)", step)
        code, text = smtp.mail(sender, ["SMTPUTF8"] if international else [])
        if code != 250:
            return Reply(code, text.decode(errors="replace"), step)
        step = "RCPT"
        code, text = smtp.rcpt(recipient)
        if code not in (250, 251):
            return Reply(code, text.decode(errors="replace"), step)
        step = "DATA"
        policy = email.policy.SMTPUTF8 if international else email.policy.SMTP
        code, text = smtp.data(message.as_bytes(policy=policy))
        return Reply(code, text.decode(errors="replace"), step)
    except smtplib.SMTPResponseException as exc:  # the server answered, with a refusal
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return Reply(exc.smtp_code, text, step)
    except (smtplib.SMTPException, OSError) as exc:  # no answer: refused connection, timeout, dropped, TLS
        return Reply(None, f"{type(exc).__name__}: {exc}", step)
    finally:
        if smtp is not None:
            _quit(smtp)


def _quit(smtp: smtplib.SMTP) -> None:
    """End the session politely; whatever QUIT gets changes nothing about the reply already given."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
