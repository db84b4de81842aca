"""The outbox between the API and the matcher: kinds of message, their states, the job.

A service writes a message in the same transaction as the event it tells of (a run
published, a sign-in link asked for); the matcher delivers it later, outside any
transaction, and records each attempt. Webhooks and e-mail are its kinds; federation
pushes join as kinds.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec


class MessageKind(StrEnum):
    WEBHOOK = "webhook"
    MAIL = "mail"
    # a hold asked of a peer, or its confirmation or release (docs/federation.md)
    FEDERATION_HOLD = "federation_hold"
    # a published run's order to a peer's producer (docs/federation.md, "Orders")
    FEDERATION_ORDER = "federation_order"
    # the state our producer gave a peer's order, sent back to the peer
    FEDERATION_ORDER_STATE = "federation_order_state"


class MessageState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


# The matcher's job that makes one attempt at one message; its argument is the
# message's id as a string, its job id names the attempt (``outbox:<id>:<attempt>``).
OUTBOX_JOB = "deliver_message"


class HoldStep(StrEnum):
    """A step of a hold asked of a peer, each one message (``FEDERATION_HOLD``)."""

    HOLD = "hold"
    CONFIRM = "confirm"
    RELEASE = "release"


class HoldMessage(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A ``FEDERATION_HOLD`` message's payload: which step of which hold, to which peer.
    ``offer_id`` is our mirror of the peer's offer ``remote_offer_id``."""

    step: HoldStep
    hold_id: UUID
    run_id: UUID
    peer_id: UUID
    offer_id: UUID
    remote_offer_id: UUID
    packs: int
    ttl_s: int


class OrderMessage(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A ``FEDERATION_ORDER`` message's payload: our order ``order_id`` (a
    ``run_remote_order``) to the peer, and the body its ``/federation/v1/orders`` takes,
    written when the run was published."""

    order_id: UUID
    run_id: UUID
    peer_id: UUID
    body: dict[str, Any]


class OrderStateMessage(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A ``FEDERATION_ORDER_STATE`` message's payload: the peer's order ``order_id`` (a
    ``federation_order`` of ours) and the state our producer gave it."""

    order_id: UUID
    peer_id: UUID
    state: Literal["accepted"]


# The languages mail is written in (``shared/mail/templates/<name>/<language>/``).
Language = Literal["sv", "en"]
LANGUAGES: tuple[Language, ...] = ("sv", "en")

# One address, no display name: ``anna@example.org``. No line breaks or angle brackets,
# so nothing a recipient typed can add a header.
MailAddress = Annotated[str, msgspec.Meta(max_length=254, pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")]
MAX_ATTACHMENTS = 10


class Attachment(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A file sent along: ``content`` is its bytes (text: ``attachment(..., "text")``)."""

    filename: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^/\\\r\n]+$")]
    content_type: Annotated[str, msgspec.Meta(pattern=r"^[a-z]+/[a-z0-9.+-]+$")]
    content: bytes


class Mail(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One e-mail to one person, as composed (``shared/mail``) and stored sealed in the
    outbox. ``unsubscribe_url`` is for notifications only (it becomes ``List-Unsubscribe``
    with one-click unsubscribe, RFC 8058); transactional mail (a sign-in link) has none."""

    to_address: MailAddress
    to_name: Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^\r\n]*$")] = ""
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=r"^[^\r\n]+$")]
    text: str
    html: str
    language: Language
    unsubscribe_url: Annotated[str, msgspec.Meta(pattern=r"^https?://\S+$")] | None = None
    attachments: Annotated[tuple[Attachment, ...], msgspec.Meta(max_length=MAX_ATTACHMENTS)] = ()


def attachment(filename: str, content_type: str, content: bytes | str) -> Attachment:
    """An attachment of bytes, or of text (sent as UTF-8)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return Attachment(filename=filename, content_type=content_type, content=data)
