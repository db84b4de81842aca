from __future__ import annotations

import datetime as dt
from uuid import UUID

import msgspec

from services.api.core.types import Email, Input, Label, Name


class TokenIn(Input):
    """Without ``user_name`` the token is for you; with it, for a new user of the organisation."""

    label: Label = ""
    user_name: Name | None = None
    user_email: Email = ""
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
    user_id: UUID
    user_name: str
    organisation_id: UUID | None
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
    user_id: UUID
    organisation_id: UUID | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
