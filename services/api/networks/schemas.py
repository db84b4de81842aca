from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID
from zoneinfo import available_timezones

import msgspec
from msgspec import UNSET, Meta, UnsetType

from services.api.core.types import (
    Currency,
    Grams,
    Input,
    Latitude,
    LocalTime,
    Location,
    Longitude,
    Name,
    Ore,
    Permille,
    Text200,
    WeeklyWindow,
    WeeklyWindows,
    no_overlaps,
)
from services.matcher.engine.allocation.transport import HANDLING_ORE_PER_KG, ORE_PER_TONNE_KM
from shared.errors import rule

TIMEZONES = frozenset(available_timezones())
Timezone = Annotated[str, Meta(min_length=1, max_length=64, examples=["Europe/Stockholm"])]
# The transport estimate's rates (docs/matching.md); bounds as the database's checks.
HandlingOrePerKg = Annotated[
    int,
    Meta(
        ge=0,
        le=10_000,
        description="transport estimate: handling, öre per kg carried",
        examples=[HANDLING_ORE_PER_KG],
    ),
]
OrePerTonneKm = Annotated[
    int,
    Meta(
        ge=0,
        le=100_000,
        description="transport estimate: distance, öre per tonne-km of road (1,000 = 1 öre/kg-km)",
        examples=[ORE_PER_TONNE_KM],
    ),
]

ReminderHours = Annotated[
    int,
    Meta(
        ge=0,
        le=720,
        description="hours before a cycle's deadline that co-ops and producers who have not "
        "yet ordered or offered are reminded by mail (0: no reminder)",
        examples=[24],
    ),
]
DEFAULT_REMINDER_HOURS = 24
TransportWarningPermille = Annotated[
    int,
    Meta(
        ge=0,
        le=10_000,
        description="the run review warns when a co-op's transport share exceeds this part "
        "of the value of its goods, in per mille (300: 30 %)",
        examples=[300],
    ),
]
DEFAULT_TRANSPORT_WARNING_PERMILLE = 300


HubHours = Annotated[
    WeeklyWindows,
    Meta(
        description="when the hub takes goods in and sends them out, in the network's time "
        "zone; none: at any time; none on a run's delivery day: closed, no plan via the hub",
    ),
]


NOT_A_TIME_ZONE = rule("`timezone` {value} is not an IANA time zone")


def _check(timezone: str | UnsetType, hub_hours: list[WeeklyWindow] | UnsetType) -> None:
    if isinstance(timezone, str) and timezone not in TIMEZONES:
        raise ValueError(NOT_A_TIME_ZONE.format(value=repr(timezone)))
    if isinstance(hub_hours, list) and not no_overlaps(hub_hours):
        raise ValueError("`hub_hours` overlap on the same weekday")


class NetworkIn(Input):
    name: Name
    region: Text200 = ""
    timezone: Timezone = "Europe/Stockholm"
    currency: Currency = "SEK"
    hub: Location | None = None
    producer_share_permille: Permille = 0
    transport_handling_ore_per_kg: HandlingOrePerKg = HANDLING_ORE_PER_KG
    transport_ore_per_tonne_km: OrePerTonneKm = ORE_PER_TONNE_KM
    deadline_reminder_hours: ReminderHours = DEFAULT_REMINDER_HOURS
    transport_warning_permille: TransportWarningPermille = DEFAULT_TRANSPORT_WARNING_PERMILLE
    hub_hours: HubHours = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        _check(self.timezone, self.hub_hours)


class NetworkPatch(Input):
    name: Name | UnsetType = UNSET
    region: Text200 | UnsetType = UNSET
    timezone: Timezone | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    hub: Location | UnsetType | None = UNSET
    producer_share_permille: Permille | UnsetType = UNSET
    transport_handling_ore_per_kg: HandlingOrePerKg | UnsetType = UNSET
    transport_ore_per_tonne_km: OrePerTonneKm | UnsetType = UNSET
    deadline_reminder_hours: ReminderHours | UnsetType = UNSET
    transport_warning_permille: TransportWarningPermille | UnsetType = UNSET
    hub_hours: HubHours | UnsetType = UNSET

    def __post_init__(self) -> None:
        _check(self.timezone, self.hub_hours)


class HubWindowOut(msgspec.Struct, kw_only=True):
    weekday: int
    opens: dt.time
    closes: dt.time


class NetworkOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    region: str
    timezone: str
    currency: str
    hub: Location | None
    producer_share_permille: int
    transport_handling_ore_per_kg: int
    transport_ore_per_tonne_km: int
    deadline_reminder_hours: int
    transport_warning_permille: int
    hub_hours: list[HubWindowOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class Point(Input):
    lat: Latitude
    lon: Longitude


class VehicleIn(Input):
    name: Name
    capacity_grams: Annotated[int, Meta(ge=1, le=10**8)]
    capacity_ml: Annotated[int, Meta(ge=1, le=10**8)]
    start: Point
    cold_capable: bool = False
    end: Point | None = None  # defaults to the start
    shift_start: LocalTime = dt.time(6, 0)
    shift_end: LocalTime = dt.time(18, 0)
    fixed_cost_ore: Ore = 0
    cost_per_km_ore: Ore = 0
    cost_per_hour_ore: Ore = 0

    def __post_init__(self) -> None:
        if self.shift_start >= self.shift_end:
            raise ValueError("`shift_start` must be before `shift_end`")


class VehicleOut(msgspec.Struct, kw_only=True):
    id: UUID
    network_id: UUID
    name: str
    capacity_grams: Grams
    capacity_ml: int
    cold_capable: bool
    start: Point
    end: Point
    shift_start: dt.time
    shift_end: dt.time
    fixed_cost_ore: int
    cost_per_km_ore: int
    cost_per_hour_ore: int
    created_at: dt.datetime


class MemberIn(Input):
    organisation_id: UUID
