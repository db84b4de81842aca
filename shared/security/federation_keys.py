"""This deployment's federation signing keys: made, published, used and retired.

A key is an Ed25519 pair; its private half is kept only sealed under
``SAMLAST_SECRET_KEYS``. Rotation without downtime: ``samlast federation-key new``
makes a key that is published beside the old one at once (``GET /federation/v1/keys``)
and signs from then on; peers add it next to the old one; once every peer has it,
``samlast federation-key retire OLD`` stops publishing the old one.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from shared.db import peers as peers_db
from shared.db.audit import insert_audit
from shared.db.pool import Conn
from shared.security.http_signatures import b64url, from_b64url, new_key_id, new_key_pair
from shared.security.sealing import Sealer, SealingError


class OwnKey(msgspec.Struct, frozen=True, kw_only=True):
    key_id: str
    public_key: bytes
    created_at: dt.datetime
    retired_at: dt.datetime | None = None


class SigningKey(msgspec.Struct, frozen=True, kw_only=True):
    key_id: str
    private_key: bytes

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r}, private_key=***)"


def _own(row: object) -> OwnKey:
    return msgspec.convert(dict(row.items()), OwnKey)  # type: ignore[attr-defined]


async def make_key(conn: Conn, sealer: Sealer | None, today: dt.date) -> OwnKey:
    """A new key pair; it signs from now on, and the older keys stay published."""
    if sealer is None:
        raise SealingError("a federation key needs SAMLAST_SECRET_KEYS to be kept sealed")
    private, public = new_key_pair()
    key_id = new_key_id(today)
    async with conn.transaction():
        row = await peers_db.insert_own_key(conn, key_id, public, sealer.seal(b64url(private)))
        await insert_audit(
            conn,
            action="federation_key.new",
            outcome="ok",
            object_type="federation_key",
            object_id=key_id,
        )
    return _own(row)


async def retire_key(conn: Conn, key_id: str) -> bool:
    """Stop publishing and signing with ``key_id``; False if no such key is in use."""
    async with conn.transaction():
        retired = await peers_db.retire_own_key(conn, key_id)
        if retired:
            await insert_audit(
                conn,
                action="federation_key.retire",
                outcome="ok",
                object_type="federation_key",
                object_id=key_id,
            )
    return retired


async def published_keys(conn: Conn, *, with_retired: bool = False) -> list[OwnKey]:
    return [_own(row) for row in await peers_db.select_own_keys(conn, with_retired=with_retired)]


async def signing_key(conn: Conn, sealer: Sealer | None) -> SigningKey | None:
    """The newest key in use, unsealed; None when the deployment has none yet."""
    row = await peers_db.select_signing_key(conn)
    if row is None:
        return None
    if sealer is None:
        raise SealingError("the federation key is sealed and SAMLAST_SECRET_KEYS is unset")
    private = from_b64url(sealer.unseal(row["private_key_sealed"]))
    return SigningKey(key_id=row["key_id"], private_key=private)
