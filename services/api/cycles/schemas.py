from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from services.api.core.types import Input, LocalTime, Weekday
from shared.contracts.cycles import CycleStateName as CycleState

Instant = Annotated[dt.datetime, Meta(tz=True, description="RFC 3339 with an offset")]


class CycleIn(Input):
    opens_at: Instant
    closes_at: Instant
    delivery_date: dt.date

    def __post_init__(self) -> None:
        if self.opens_at >= self.closes_at:
            raise ValueError("`opens_at` must be before `closes_at`")
        if self.closes_at.date() > self.delivery_date:
            raise ValueError("`delivery_date` is before the demand deadline `closes_at`")


class CycleOut(msgspec.Struct, kw_only=True):
    id: UUID
    network_id: UUID
    opens_at: dt.datetime
    closes_at: dt.datetime
    delivery_date: dt.date
    state: CycleState
    accepting_demand: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class Participant(msgspec.Struct, kw_only=True, frozen=True):
    """A co-op or producer of the cycle's network, and whether it takes part yet: a co-op
    has a demand line in the cycle, a producer an offer listed for its delivery day."""

    organisation_id: UUID
    name: str
    kind: Literal["coop", "producer"]
    taking_part: bool


class ScheduleIn(Input):
    """A network's weekly schedule: the days and clock times of its time zone on which
    the matcher opens, closes and delivers each week's cycle, and whether it is on."""

    enabled: bool
    opens_weekday: Weekday
    opens_time: LocalTime
    closes_weekday: Weekday
    closes_time: LocalTime
    delivery_weekday: Weekday


class WeekOut(msgspec.Struct, kw_only=True, frozen=True):
    """A cycle the schedule will open: its opening day and its instants."""

    opens_on: dt.date
    opens_at: dt.datetime
    closes_at: dt.datetime
    delivery_date: dt.date
    passed_over: bool  # the network has a cycle open then already: none is opened


class ScheduleOut(msgspec.Struct, kw_only=True):
    network_id: UUID
    enabled: bool
    opens_weekday: int
    opens_time: dt.time
    closes_weekday: int
    closes_time: dt.time
    delivery_weekday: int
    version: int  # 0: never saved (send `If-Match: "0"` to save it the first time)
    updated_at: dt.datetime | None
    upcoming: list[WeekOut]  # the next cycles it opens (none while it is off)
