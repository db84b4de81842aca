"""One-click unsubscribe (RFC 8058): a link that names a person and a kind of notification.

The token is the pair sealed with the deployment's keys (Fernet: encrypted and
authenticated), so nobody can make one for another person or kind, and it says nothing
readable. It does not expire: a link in an old mail still stops that mail. All it can
ever do is add the kind to the person's ``muted``.
"""

from __future__ import annotations

from uuid import UUID

from shared.contracts.notifications import NotificationKind
from shared.mail import public_link
from shared.security.sealing import Sealer, SealingError

UNSUBSCRIBE_PATH = "/app/unsubscribe"
MAX_TOKEN = 500


def unsubscribe_token(sealer: Sealer, person_id: UUID, kind: NotificationKind) -> str:
    return sealer.seal(f"{person_id}:{kind}").decode("ascii")


def unsubscribe_url(
    public_url: str, sealer: Sealer, person_id: UUID, kind: NotificationKind
) -> str:
    """The link a notification carries (in its footer and in ``List-Unsubscribe``)."""
    return public_link(
        public_url, UNSUBSCRIBE_PATH, token=unsubscribe_token(sealer, person_id, kind)
    )


def read_unsubscribe_token(sealer: Sealer, token: str) -> tuple[UUID, NotificationKind] | None:
    """The person and kind a token names; None for anything we did not seal."""
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        return None
    try:
        person, _, kind = sealer.unseal(token.encode("ascii")).partition(":")
        return UUID(person), NotificationKind(kind)
    except (SealingError, ValueError):
        return None
