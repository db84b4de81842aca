"""Secrets the server must read again, kept only sealed under ``SAMLAST_SECRET_KEYS``
(``shared/security/sealing.py``): webhook signing secrets, join links' secrets and the
deployment's federation signing keys.

``seal_secrets`` seals what older versions stored in plain text (``samlast migrate``) and,
with ``rotate``, re-seals every secret under the newest key (``samlast rotate-secrets``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.db import joins as joins_db
from shared.db import peers as peers_db
from shared.db import webhooks as webhooks_db
from shared.db.pool import Conn
from shared.security.sealing import Sealer, SealingError


@dataclass(frozen=True)
class SealedSecrets:
    """One table's secrets: how to read them (locked) and store them sealed."""

    name: str
    select: Callable[[Conn], Awaitable[list[asyncpg.Record]]]
    set_sealed: Callable[[Conn, list[tuple[Any, bytes]]], Awaitable[None]]
    key: str
    plain: str
    sealed: str


KEPT = (
    SealedSecrets(
        "webhook secret",
        webhooks_db.select_secrets,
        webhooks_db.set_sealed,
        key="id",
        plain="webhook_secret",
        sealed="webhook_secret_sealed",
    ),
    SealedSecrets(
        "join link secret",
        joins_db.select_secrets,
        joins_db.set_sealed,
        key="network_id",
        plain="secret",
        sealed="secret_sealed",
    ),
    SealedSecrets(
        "federation signing key",
        peers_db.select_sealed_keys,
        peers_db.set_sealed_keys,
        key="key_id",
        plain="private_key_plain",
        sealed="private_key_sealed",
    ),
)


async def seal_secrets(conn: Conn, sealer: Sealer | None, *, rotate: bool) -> int:
    """Seal every plain-text secret left and empty its column; with ``rotate``, re-seal
    the sealed ones under the newest key too. One transaction: all or nothing. Returns
    how many were written; SealingError (naming no secret) if the keys can't do it."""
    written = 0
    async with conn.transaction():
        for kept in KEPT:
            rows = await kept.select(conn)
            due = rows if rotate else [row for row in rows if row[kept.plain] is not None]
            if not due:
                continue
            if sealer is None:
                raise SealingError(f"{len(due)} {kept.name}(s) need SAMLAST_SECRET_KEYS to seal")
            await kept.set_sealed(
                conn, [(row[kept.key], _sealed_again(row, kept, sealer)) for row in due]
            )
            written += len(due)
    return written


def _sealed_again(row: asyncpg.Record, kept: SealedSecrets, sealer: Sealer) -> bytes:
    if row[kept.sealed] is not None:
        return sealer.reseal(row[kept.sealed])
    return sealer.seal(row[kept.plain])
