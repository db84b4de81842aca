"""Mail messages: one SMTP transaction per attempt (the outbox's rules in
``outbox/delivery.py``).

The mail is unsealed for the attempt and sent as a multipart/alternative text and HTML
message (in multipart/mixed with its attachments) through ``mail.smtp_url``. Its
``Message-ID`` is the outbox row's id at the sender's domain and its ``Date`` the row's
creation, so a resend after a crash (SMTP delivers at least once: a worker can die after
the server took the mail and before the outbox recorded it) is the same message to the
reader, whose mailbox drops the repeat. A 5xx refusal of the recipient or of the message
fails at once; a 4xx, a refused login or sender (our configuration), no connection or no
answer within ``mail.timeout_s`` is retried. What is recorded is the reply code and our
own words, never the server's text.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import aiosmtplib
import asyncpg

from services.matcher.adapters.outbound import Answer
from shared.contracts.messages import Mail
from shared.db.outbox import unseal_mail
from shared.security.sealing import Sealer, SealingError
from shared.settings import Settings

NOT_CONFIGURED = "mail is not configured: set SAMLAST_SMTP_URL"
UNSEALABLE = "cannot unseal the mail: check SAMLAST_SECRET_KEYS"
USER_AGENT = "Samlast-Mail/1"


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send, from ``mail.smtp_url`` (``shared/settings.py`` says the forms)."""

    hostname: str
    port: int
    use_tls: bool  # smtps: TLS from the first byte
    start_tls: bool | None  # None: STARTTLS when the server offers it
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def smtp_server(url: str) -> SmtpServer:
    parts = urlsplit(url)
    implicit = parts.scheme == "smtps"
    starttls = parse_qs(parts.query).get("starttls", [""])[-1].lower()
    return SmtpServer(
        hostname=parts.hostname or "localhost",
        port=parts.port or (465 if implicit else 25),
        use_tls=implicit,
        start_tls=None if implicit or not starttls else starttls in ("true", "1", "yes"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def message_id(outbox_id: UUID, sender: str) -> str:
    """The same on every attempt at one outbox message."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{outbox_id}@{domain}>"


def build_message(mail: Mail, *, outbox_id: UUID, sender: str, date: dt.datetime) -> EmailMessage:
    """The RFC 5322 message of ``mail``: text and HTML alternatives, attachments, and the
    headers a reader's mailbox and client use (one-click unsubscribe for notifications)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(display_name=mail.to_name, addr_spec=mail.to_address)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(date.astimezone(dt.UTC))
    message["Message-ID"] = message_id(outbox_id, sender)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to us
    message["X-Mailer"] = USER_AGENT
    if mail.unsubscribe_url:  # RFC 8058
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    for attached in mail.attachments:
        maintype, _, subtype = attached.content_type.partition("/")
        message.add_attachment(
            attached.content, maintype=maintype, subtype=subtype, filename=attached.filename
        )
    message["Content-Language"] = mail.language  # after the parts: setting them clears it
    return message


class Mailer:
    """Sends a mail message through the configured SMTP server."""

    def __init__(self, settings: Settings, sealer: Sealer | None) -> None:
        self.settings = settings
        self.sealer = sealer
        url = settings.mail.smtp_url
        self.server = smtp_server(url) if url else None

    async def __call__(self, message: asyncpg.Record) -> Answer:
        if self.server is None:
            return Answer(error=NOT_CONFIGURED)  # retried: it may be configured meanwhile
        if self.sealer is None or message["payload_sealed"] is None:
            return Answer(error=UNSEALABLE)
        try:
            mail = unseal_mail(self.sealer, message["payload_sealed"])
        except SealingError:
            return Answer(error=UNSEALABLE)
        email = build_message(
            mail,
            outbox_id=message["id"],
            sender=self.settings.mail.mail_from,
            date=message["created_at"],
        )
        return await self.send(email)

    async def send(self, email: EmailMessage) -> Answer:
        """One SMTP transaction, all of it within ``mail.timeout_s``."""
        assert self.server is not None
        timeout_s = self.settings.mail.timeout_s
        try:
            async with asyncio.timeout(timeout_s):
                await aiosmtplib.send(
                    email,
                    hostname=self.server.hostname,
                    port=self.server.port,
                    username=self.server.username,
                    password=self.server.password,
                    use_tls=self.server.use_tls,
                    start_tls=self.server.start_tls,
                    timeout=timeout_s,
                )
        except (aiosmtplib.SMTPException, OSError) as exc:
            return failed(exc)
        return Answer(status=250)


def failed(exc: BaseException) -> Answer:
    """What a failed SMTP transaction comes to, in our own words."""
    code = exc.code if isinstance(exc, aiosmtplib.SMTPResponseException) else None
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        code = exc.recipients[0].code
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPRecipientRefused):
        return Answer(status=code, error=f"recipient refused ({code})", refused=_permanent(code))
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return Answer(status=code, error=f"message refused ({code})", refused=_permanent(code))
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return Answer(status=code, error=f"sender refused ({code}): check SAMLAST_MAIL_FROM")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return Answer(status=code, error=f"login refused ({code}): check SAMLAST_SMTP_URL")
    if isinstance(exc, TimeoutError):
        return Answer(error="no answer from the mail server in time")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return Answer(status=code, error=f"the mail server answered {code}")
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return Answer(error="the mail server hung up")
    return Answer(error="cannot connect to the mail server")


def _permanent(code: int | None) -> bool:
    return code is not None and 500 <= code < 600
