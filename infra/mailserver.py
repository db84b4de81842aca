"""A real local SMTP server (aiosmtpd) that keeps what it receives as ``.eml`` files.

``make demo`` and ``make test`` start it (``infra/devservers.py``) when
``SAMLAST_SMTP_URL`` is unset: ``python -m infra.mailserver --port N --directory D``.
Each message is written to ``D/<its Message-ID>.eml`` with a ``Delivered-To`` header per
recipient, as a mailbox would; a message received again with the same Message-ID is not
written again. That is how a reader sees SMTP's at-least-once delivery: the outbox may
send a mail twice (a worker died after the server took it and before the outbox
recorded it), and its stable Message-ID makes it once for the reader. Every
transaction, repeat or not, is a line in ``D/received.log``.

For tests of failures it behaves as a real server may: every recipient at
``refused.invalid`` is refused with 550 (permanent), and ``--stall-s`` holds the 250
after a message is kept, as a slow server does.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import signal
import uuid
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

REFUSED_DOMAIN = "refused.invalid"
LOG_NAME = "received.log"


def mailbox_name(message_id: str, content: bytes) -> str:
    """The file a message is kept in: its Message-ID, or its hash when it has none."""
    shown = re.sub(r"[^A-Za-z0-9@._-]", "_", message_id.strip().strip("<>"))[:200]
    return f"{shown or hashlib.sha256(content).hexdigest()[:40]}.eml"


def keep(directory: Path, content: bytes, recipients: list[str]) -> bool:
    """Write the message unless one with its Message-ID is kept; True if it was new."""
    headers = BytesParser(policy=default).parsebytes(content, headersonly=True)
    message_id = str(headers.get("Message-ID", ""))
    delivered = b"".join(f"Delivered-To: {r}\r\n".encode() for r in recipients)
    final = directory / mailbox_name(message_id, content)
    draft = directory / f".{uuid.uuid4().hex}.tmp"
    draft.write_bytes(delivered + content)
    try:
        final.hardlink_to(draft)
        new = True
    except FileExistsError:
        new = False
    finally:
        draft.unlink()
    with (directory / LOG_NAME).open("a", encoding="utf-8") as log:
        log.write(f"{message_id}\t{','.join(recipients)}\t{'new' if new else 'repeat'}\n")
    return new


class Keeper:
    """aiosmtpd's handler: refuse what a test asks refused, keep the rest."""

    def __init__(self, directory: Path, stall_s: float) -> None:
        self.directory = directory
        self.stall_s = stall_s

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower().endswith("@" + REFUSED_DOMAIN):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        keep(self.directory, content, list(envelope.rcpt_tos))
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
        return "250 2.0.0 kept"


async def serve(host: str, port: int, keeper: Keeper) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(keeper, hostname="samlast-mailbox", ident="Samlast local mailbox"),
        host,
        port,
    )
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--directory", type=Path, required=True)
    parser.add_argument("--stall-s", type=float, default=0.0)
    args = parser.parse_args(argv)
    args.directory.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.host, args.port, Keeper(args.directory, args.stall_s)))


if __name__ == "__main__":
    main()
