"""A real SMTP server on loopback for tests (aiosmtpd), and what arrived at it."""

from __future__ import annotations

import email
import socket
import threading
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: MailServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.server.refuse.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default)
        with self.server.lock:
            self.server.received.append(message)
        return "250 Message accepted for delivery"


class MailServer:
    """Start, stop and start again on the same port; `received` keeps every message."""

    def __init__(self):
        self.port = free_port()
        self.received: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}  # address -> SMTP answer, e.g. "550 no such user"
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("html",)).get_content()

    def settings_for(self, settings) -> None:
        """Point the instance settings at this server (plain SMTP on loopback)."""
        settings.smtp_host = "127.0.0.1"
        settings.smtp_port = self.port
        settings.smtp_starttls = False
        settings.smtp_timeout_seconds = 5
