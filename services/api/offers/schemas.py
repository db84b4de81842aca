from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from services.api.core.types import (
    Input,
    Location,
    Ore,
    Packs,
    Text2000,
    TimeWindow,
    TimeWindows,
    Units,
    no_overlaps,
)

# The API counts packs in catalogue units (the engine's contract); only the pages take
# and show a pack's size in kg, l or st (services/api/demand/amounts.py).
PACK_UNITS = (
    "Catalogue units per pack, the engine's count, not kg or l: a kg product sold in "
    "units of 500 g (`grams_per_unit` 500) packed in 5 kg sacks has `pack_units` 10; "
    "a litre product's units are its `ml_per_unit`; a piece product's are pieces."
)


class Listing(Input):
    network_id: UUID
    product_id: UUID


def _check(
    valid_from: dt.date | UnsetType,
    valid_until: dt.date | UnsetType,
    windows: list[TimeWindow] | UnsetType,
) -> None:
    both_dates = isinstance(valid_from, dt.date) and isinstance(valid_until, dt.date)
    if both_dates and valid_from > valid_until:  # type: ignore[operator]
        raise ValueError("`valid_from` is after `valid_until`")
    if isinstance(windows, list) and not no_overlaps(windows):
        raise ValueError("`pickup_windows` overlap")


class OfferIn(Input):
    listings: Annotated[list[Listing], Meta(min_length=1, max_length=20)]
    pack_units: Annotated[Units, Meta(description=PACK_UNITS)]
    packs_available: Packs
    price_per_pack_ore: Ore
    valid_from: dt.date
    valid_until: dt.date
    pickup: Location
    pickup_windows: TimeWindows = msgspec.field(default_factory=list)
    note: Text2000 = ""

    def __post_init__(self) -> None:
        _check(self.valid_from, self.valid_until, self.pickup_windows)
        networks = [listing.network_id for listing in self.listings]
        if len(set(networks)) != len(networks):
            raise ValueError("`listings` names a network twice")


class OfferPatch(Input):
    """What a producer may change; the pack size and the listings are fixed once posted."""

    packs_available: Packs | UnsetType = UNSET
    price_per_pack_ore: Ore | UnsetType = UNSET
    valid_from: dt.date | UnsetType = UNSET
    valid_until: dt.date | UnsetType = UNSET
    pickup: Location | UnsetType = UNSET
    pickup_windows: TimeWindows | UnsetType = UNSET
    note: Text2000 | UnsetType = UNSET

    def __post_init__(self) -> None:
        _check(self.valid_from, self.valid_until, self.pickup_windows)


class WindowOut(msgspec.Struct, kw_only=True):
    opens: dt.time
    closes: dt.time


class ListingOut(msgspec.Struct, kw_only=True):
    network_id: UUID
    product_id: UUID


class OfferOut(msgspec.Struct, kw_only=True):
    id: UUID
    producer_id: UUID
    listings: list[ListingOut]
    pack_units: Annotated[int, Meta(description=PACK_UNITS)]
    packs_available: int
    packs_reserved: int
    price_per_pack_ore: int
    valid_from: dt.date
    valid_until: dt.date
    # exact for the producer and the coordinators of its networks; for other members at
    # the precision the producer chose for its place (none: shown by municipality only)
    pickup: Location | None
    pickup_windows: list[WindowOut]
    note: str
    withdrawn_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class OfferPage(msgspec.Struct, kw_only=True):
    items: list[OfferOut]
    next_cursor: str | None = None
