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
    Text200,
    WeeklyWindow,
    WeeklyWindows,
    no_overlaps,
)

OrganisationKind = Literal["producer", "coop", "coordinator"]
# How precisely an organisation's place is shown to the other members of its networks:
# the point itself, a point a few km off (the same each time), or its municipality only.
PlacePrecision = Literal["exact", "approximate", "municipality"]
Presentation = Annotated[str, Meta(max_length=1000)]
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
    presentation: Presentation = ""
    place_precision: PlacePrecision = "approximate"
    municipality: Text200 = ""

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
    presentation: Presentation | UnsetType = UNSET
    place_precision: PlacePrecision | UnsetType = UNSET
    municipality: Text200 | UnsetType = UNSET

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
    presentation: str = ""
    # shown to other members: a producer's or co-op's place at this precision (the
    # location above is already that: approximate, or none for municipality)
    place_precision: PlacePrecision = "approximate"
    municipality: str = ""
    network_ids: list[UUID]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
