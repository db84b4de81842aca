from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from services.api.core.types import Input
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
