"""What joining by a network's link takes and shows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from services.api.accounts.schemas import Email, Language
from services.api.core.types import Input, Location, Name, Phone, WeeklyWindow, no_overlaps

Kind = Literal["producer", "coop"]
Hours = Annotated[list[WeeklyWindow], Meta(min_length=1, max_length=50)]


class JoinIn(Input):
    """A new co-op or producer asking to join: who, where and when it receives (or has
    goods ready for pickup). The place is required: nothing can be delivered without it."""

    kind: Kind
    organisation_name: Name
    person_name: Name
    email: Email
    location: Location
    windows: Hours
    phone: Phone = ""
    language: Language = "sv"

    def __post_init__(self) -> None:
        if not no_overlaps(self.windows):
            raise ValueError("`windows` overlap on the same weekday")


class JoinWindow(msgspec.Struct, kw_only=True, frozen=True):
    weekday: int
    opens: dt.time
    closes: dt.time


class JoinRequestOut(msgspec.Struct, kw_only=True, frozen=True):
    """A request as its network's coordinators see it."""

    id: UUID
    network_id: UUID
    network: str
    kind: Kind
    organisation_name: str
    person_name: str
    email: str
    phone: str
    language: Language
    address: str
    lat: float
    lon: float
    windows: list[JoinWindow]
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    organisation_id: UUID | None
    decision: str | None


class JoinLinkOut(msgspec.Struct, kw_only=True, frozen=True):
    url: str
    created_at: dt.datetime
