"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd, in a thread of the test process): records every
message it is given and answers from a script (a reply per message, then ``250 OK``); it can hold a
message before answering until the test releases it (a worker killed mid-send), and can require a login."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    reply: str  # what the server answered to it

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def accepted(self) -> bool:
        return self.reply.startswith("2")


@dataclass
class Mailbox:
    """The server's behaviour and record, shared with its handler."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    script: deque[str] = field(default_factory=deque)  # replies to the next messages, then "250 OK"
    by_recipient: dict[str, str] = field(default_factory=dict)  # a fixed reply to every message to this address
    hold_next: bool = False  # hold the next message (recorded first) until ``release`` is set
    arrived: threading.Event = field(default_factory=threading.Event)  # set when a held message is in
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.accepted]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            fixed = next((self.by_recipient[r] for r in envelope.rcpt_tos if r in self.by_recipient), None)
            reply = fixed or (self.script.popleft() if self.script else "250 OK")
            hold, self.hold_next = self.hold_next, False
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content), reply))
        if hold:
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        return reply


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server(*, login: tuple[str, str] | None = None) -> Iterator[Mailbox]:
    """A running server; ``login`` (user, password) makes it require AUTH (over plain TCP: a test server)."""
    box = Mailbox()
    options: dict[str, Any] = {"enable_SMTPUTF8": True}
    if login is not None:
        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == login
            return AuthResult(success=ok)

        options |= {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, **options)
    controller.start()
    box.url = f"smtp://127.0.0.1:{port}" if login is None else f"smtp://{login[0]}:{login[1]}@127.0.0.1:{port}"
    try:
        yield box
    finally:
        box.release.set()
        controller.stop()
