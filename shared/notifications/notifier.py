"""Writing one notification to each of its recipients, on the outbox, in the caller's
transaction: composed in the recipient's language, with a one-click unsubscribe link
for its kind, and at most once per kind, object and person (the outbox's dedupe key)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from shared.contracts.messages import Attachment, Language
from shared.contracts.notifications import NotificationKind
from shared.db import outbox as outbox_db
from shared.db.pool import Conn
from shared.mail import compose, public_link
from shared.notifications.unsubscribe import unsubscribe_url
from shared.security.sealing import Sealer

log = logging.getLogger(__name__)


class Recipient(msgspec.Struct, kw_only=True, frozen=True):
    """A person to tell, and the organisation they are told as."""

    person_id: UUID
    email: str
    name: str
    language: Language
    organisation_id: UUID
    organisation_kind: str  # producer, coop or coordinator
    organisation: str


def recipients_of(rows: Iterable[asyncpg.Record]) -> list[Recipient]:
    return [msgspec.convert(dict(row), Recipient) for row in rows]


Values = Callable[[Recipient], dict[str, Any]]
Files = Callable[[Recipient], Sequence[Attachment]]


class Notifier:
    """Writes notification mail with the caller's connection; the caller commits and
    queues the ids it returns (``AfterCommit.message``, or ``enqueue_message``).

    Mail is sealed at rest, so without ``SAMLAST_SECRET_KEYS`` (``sealer`` None) no
    notification is written: the event itself goes ahead, and a warning says why."""

    def __init__(self, conn: Conn, sealer: Sealer | None, public_url: str) -> None:
        self.conn = conn
        self.sealer = sealer
        self.public_url = public_url

    def link(self, path: str) -> str:
        return public_link(self.public_url, path)

    async def send(
        self,
        kind: NotificationKind,
        template: str,
        recipients: Sequence[Recipient],
        *,
        about: UUID,
        network_id: UUID,
        run_id: UUID | None = None,
        values: Values,
        files: Files | None = None,
    ) -> list[UUID]:
        """The ``template`` mail to each recipient, keyed ``kind:about:person``; the ids of
        the messages written (none for a recipient who already has it)."""
        if self.sealer is None:
            if recipients:
                log.warning("%s not mailed: mail needs SAMLAST_SECRET_KEYS", kind)
            return []
        written = []
        for recipient in recipients:
            mail = compose(
                template,
                recipient.language,
                to_address=recipient.email,
                to_name=recipient.name,
                unsubscribe_url=unsubscribe_url(
                    self.public_url, self.sealer, recipient.person_id, kind
                ),
                attachments=files(recipient) if files else (),
                organisation=recipient.organisation,
                **values(recipient),
            )
            message_id = await outbox_db.insert_mail(
                self.conn,
                mail,
                sealer=self.sealer,
                dedupe_key=f"{kind}:{about}:{recipient.person_id}",
                organisation_id=recipient.organisation_id,
                network_id=network_id,
                person_id=recipient.person_id,
                event=f"notify.{kind}",
                run_id=run_id,
            )
            if message_id is not None:
                written.append(message_id)
        return written
