from __future__ import annotations

import datetime as dt
from uuid import UUID

import msgspec

from services.api.core.types import Input, Label


class TokenIn(Input):
    """A token of the organisation, for an integration; ``label`` says which one."""

    label: Label = ""
    expires_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.expires_at is not None:
            if self.expires_at.tzinfo is None:
                raise ValueError("`expires_at` needs a time zone offset")
            if self.expires_at <= dt.datetime.now(dt.UTC):
                raise ValueError("`expires_at` is in the past")


class TokenOut(msgspec.Struct, kw_only=True):
    id: UUID
    prefix: str
    label: str
    organisation_id: UUID | None  # None: an admin token of the deployment
    created_by: UUID | None  # the person who made it; None once they are gone
    created_by_name: str | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreated(msgspec.Struct, kw_only=True):
    """The only time the token itself is shown: store it now."""

    token: str
    id: UUID
    prefix: str
    label: str
    organisation_id: UUID | None
    created_by: UUID | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
