"""The append-only audit trail: every write and every refused request."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.db.pool import Conn

INSERT_AUDIT = """
INSERT INTO audit_log (actor_user_id, actor_token_id, organisation_id, network_id, action,
                       object_type, object_id, outcome, request_id, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"""


async def insert_audit(
    conn: Conn,
    *,
    action: str,
    outcome: str,
    user_id: UUID | None = None,
    token_id: UUID | None = None,
    organisation_id: UUID | None = None,
    network_id: UUID | None = None,
    object_type: str = "",
    object_id: str = "",
    request_id: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        INSERT_AUDIT,
        user_id,
        token_id,
        organisation_id,
        network_id,
        action,
        object_type,
        object_id,
        outcome,
        request_id,
        detail or {},
    )
