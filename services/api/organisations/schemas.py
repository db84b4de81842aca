from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from services.api.core.types import (
    Email,
    Input,
    Location,
    Name,
    Phone,
    WeeklyWindow,
    WeeklyWindows,
    no_overlaps,
)

OrganisationKind = Literal["producer", "coop", "coordinator"]
NetworkIds = Annotated[list[UUID], Meta(min_length=1, max_length=20)]


def _check_windows(windows: list[WeeklyWindow] | UnsetType) -> None:
    if isinstance(windows, list) and not no_overlaps(windows):
        raise ValueError("`windows` overlap on the same weekday")


class OrganisationIn(Input):
    kind: OrganisationKind
    name: Name
    network_ids: NetworkIds
    contact_email: Email = ""
    contact_phone: Phone = ""
    location: Location | None = None
    windows: WeeklyWindows = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        _check_windows(self.windows)
        if len(set(self.network_ids)) != len(self.network_ids):
            raise ValueError("`network_ids` lists a network twice")


class OrganisationPatch(Input):
    name: Name | UnsetType = UNSET
    contact_email: Email | UnsetType = UNSET
    contact_phone: Phone | UnsetType = UNSET
    location: Location | UnsetType | None = UNSET
    windows: WeeklyWindows | UnsetType = UNSET

    def __post_init__(self) -> None:
        _check_windows(self.windows)


class WindowOut(msgspec.Struct, kw_only=True):
    weekday: int
    opens: dt.time
    closes: dt.time


class OrganisationOut(msgspec.Struct, kw_only=True):
    id: UUID
    kind: OrganisationKind
    name: str
    contact_email: str
    contact_phone: str
    location: Location | None
    windows: list[WindowOut]
    network_ids: list[UUID]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
