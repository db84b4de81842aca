"""Reading what the session's local SMTP server received (``infra/mailserver.py``).

The server keeps one ``.eml`` file per Message-ID (a resend of the same message is
not a second file) and logs every SMTP transaction in ``received.log``. Tests find
mail by recipient and subject and read its parts and links as a person's mail client
would: nothing here looks at the outbox.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import cast

from infra.mailserver import LOG_NAME

LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Received:
    """One kept message."""

    path: Path
    message: EmailMessage

    @property
    def to(self) -> list[str]:
        return [str(value) for value in self.message.get_all("Delivered-To", [])]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return None if value is None else str(value)

    @property
    def text(self) -> str:
        return self._body("plain")

    @property
    def html(self) -> str:
        return self._body("html")

    def links(self) -> list[str]:
        """Every link in the text part, in order."""
        return LINK.findall(self.text)

    def attachments(self) -> list[tuple[str, str, bytes]]:
        """(filename, content type, bytes) of each attachment."""
        return [
            (
                part.get_filename() or "",
                part.get_content_type(),
                cast(bytes, part.get_payload(decode=True)),
            )
            for part in self.message.iter_attachments()
        ]

    def _body(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        assert part is not None, f"{self.path.name} has no text/{subtype} part"
        return str(cast(EmailMessage, part).get_content())


class Mailbox:
    """The directory the local SMTP server keeps mail in."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def messages(self) -> list[Received]:
        parser = BytesParser(policy=default)
        return [
            Received(path, parser.parsebytes(path.read_bytes()))
            for path in sorted(self.directory.glob("*.eml"))
        ]

    def find(self, *, to: str | None = None, subject: str | None = None) -> list[Received]:
        """The kept messages to ``to`` whose subject contains ``subject``."""
        return [
            received
            for received in self.messages()
            if (to is None or to in received.to)
            and (subject is None or subject in received.subject)
        ]

    def transactions(self, to: str) -> list[tuple[str, str]]:
        """Every SMTP transaction that delivered to ``to``: (Message-ID, "new" or "repeat")."""
        log = self.directory / LOG_NAME
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        return [
            (message_id, seen)
            for message_id, recipients, seen in (line.split("\t") for line in lines)
            if to in recipients.split(",")
        ]


MAIL_WAIT_S = 60  # the worker sends within seconds; this is only the bound of the wait


async def mail_to(mailbox: Mailbox, address: str, subject: str, count: int = 1) -> Received:
    """The ``count``-th mail to ``address`` whose subject holds ``subject``, once the
    worker has sent it (waited for, within ``MAIL_WAIT_S``)."""
    for _ in range(MAIL_WAIT_S * 10):
        found = mailbox.find(to=address, subject=subject)
        if len(found) >= count:
            return found[count - 1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no mail {subject!r} to {address} within {MAIL_WAIT_S} s")
