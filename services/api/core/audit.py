"""Audit: writes are recorded in their own transaction; refusals by an exception hook."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.types import Scope

from services.api.auth.actor import Actor
from shared.db.audit import insert_audit
from shared.db.pool import Conn
from shared.errors import ForeignReferenceError, TenantDeniedError


async def record(
    conn: Conn,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: UUID | str,
    *,
    network_id: UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a write; call it inside the write's transaction so both land or neither."""
    await insert_audit(
        conn,
        action=action,
        outcome="ok",
        user_id=actor.person_id,
        token_id=actor.token_id,
        organisation_id=actor.organisation_id,
        network_id=network_id,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail,
    )


async def audit_refusal(exc: Exception, scope: Scope) -> None:
    """after_exception hook: one audit row for each refused authentication or authorization."""
    if isinstance(exc, NotAuthorizedException):
        outcome = "unauthenticated"
    elif isinstance(exc, PermissionDeniedException | TenantDeniedError | ForeignReferenceError):
        outcome = "denied"
    else:
        return
    actor = scope.get("user")
    actor = actor if isinstance(actor, Actor) else None
    route = scope.get("path_template") or scope.get("path", "")
    async with scope["litestar_app"].state.pool.acquire() as conn:
        await insert_audit(
            conn,
            action=f"{scope.get('method', '')} {route}",
            outcome=outcome,
            user_id=actor.person_id if actor else None,
            token_id=actor.token_id if actor else None,
            organisation_id=actor.organisation_id if actor else None,
            detail={"reason": str(getattr(exc, "detail", exc))[:500]},
        )
