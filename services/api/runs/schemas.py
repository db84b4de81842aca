from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from services.api.core.types import Input
from shared.contracts.runs import RunRouting, RunSummary
from shared.contracts.runs import RunStateName as RunState

Ids = Annotated[list[UUID], msgspec.Meta(max_length=10_000)]


class PinIn(Input):
    """Fix an allocation: this demand line gets these units of this offer."""

    offer_id: UUID
    demand_line_id: UUID
    units: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]


class PeerLeftOut(msgspec.Struct, kw_only=True):
    """A peer deployment whose offers the run left out: it could not be reached."""

    peer_id: UUID
    name: str
    offers: int  # its offers listed in the network, left out
    reason: str
    ok_at: dt.datetime | None  # its feed's last good read
    error: str = ""  # its feed's last read's failure (English)
    error_message: str = ""  # that failure's msgid and values, for pages in any language
    error_values: dict[str, str] = msgspec.field(default_factory=dict)


class RunOut(msgspec.Struct, kw_only=True):
    id: UUID
    cycle_id: UUID
    network_id: UUID
    run_version: int
    state: RunState
    stage: str
    percent: int
    attempts: int
    exclude_offers: list[UUID]
    exclude_coops: list[UUID]
    exclude_vehicles: list[UUID]
    pins: list[PinIn]
    summary: RunSummary | None
    routing: RunRouting | None
    error: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    # federation: peers whose offers this run left out, and why (docs/federation.md)
    peers_left_out: list[PeerLeftOut] = msgspec.field(default_factory=list)


class RunIn(Input):
    """A new run of a closed or matched cycle, leaving out what the coordinator says
    (offers and co-ops from the allocation, vehicles from the routes) and keeping the
    allocations they pin. ``reason`` is mailed to the co-ops left out and the producers of
    the offers left out (docs/notifications.md)."""

    exclude_offers: Ids = msgspec.field(default_factory=list)
    exclude_coops: Ids = msgspec.field(default_factory=list)
    exclude_vehicles: Ids = msgspec.field(default_factory=list)
    pins: Annotated[list[PinIn], msgspec.Meta(max_length=10_000)] = msgspec.field(
        default_factory=list
    )
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class PurchaseOut(msgspec.Struct, kw_only=True):
    offer_id: UUID
    packs: int
    pack_units: int
    price_per_pack_ore: int


class AllocationOut(msgspec.Struct, kw_only=True):
    offer_id: UUID
    demand_line_id: UUID
    coop_id: UUID
    product_id: UUID
    units: int
    tolerance_units: int


class UnfilledOut(msgspec.Struct, kw_only=True):
    demand_line_id: UUID
    coop_id: UUID
    product_id: UUID
    units_short: int
    reason: Literal[
        "no_offer",
        "validity",
        "temperature",
        "price_above_max",
        "supply_short",
        "pack_not_completed",
        "excluded",
    ]
    pro_rata_permille: int | None = None
    units_to_next_pack: int | None = None
    cheapest_unit_price_ore: int | None = None
    # a peer deployment refused to hold the packs this line was to get, in its words
    # (``excluded``; docs/federation.md, "Holds")
    hold_refused: str | None = None


class RunResult(msgspec.Struct, kw_only=True):
    run: RunOut
    purchases: list[PurchaseOut]
    allocations: list[AllocationOut]
    unfilled: list[UnfilledOut]


class ShipmentOut(msgspec.Struct, kw_only=True):
    id: UUID
    producer_id: UUID
    coop_id: UUID
    temperature: Literal["ambient", "chilled", "frozen"]
    weight_grams: int
    volume_ml: int
    unserved_reason: str | None


class StopOut(msgspec.Struct, kw_only=True):
    seq: int
    kind: Literal["start", "pickup", "delivery", "end"]
    organisation_id: UUID | None
    shipment_id: UUID | None
    arrival_at: dt.datetime
    departure_at: dt.datetime
    load_grams: int
    load_ml: int
    lat: float
    lon: float


class ShareOut(msgspec.Struct, kw_only=True):
    organisation_id: UUID
    payer: Literal["coop", "producer"]
    share_ore: int
    standalone_cost_ore: int | None


class RouteOut(msgspec.Struct, kw_only=True):
    id: UUID
    plan: Literal["joint", "baseline", "hub"]
    route_no: int
    vehicle_id: UUID | None
    producer_id: UUID | None  # baseline: the producer driving its own van
    distance_m: int
    duration_s: int
    cost_ore: int
    co2_grams: int
    unshared_ore: int
    stops: list[StopOut]
    cost_shares: list[ShareOut]


class RunRoutes(msgspec.Struct, kw_only=True):
    run: RunOut
    shipments: list[ShipmentOut]
    routes: list[RouteOut]


Note = Annotated[str, msgspec.Meta(max_length=2000)]


class ApproveIn(Input):
    note: Note = ""


class RejectIn(Input):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class TransitionOut(msgspec.Struct, kw_only=True):
    from_state: RunState
    to_state: RunState
    actor_user_id: UUID | None
    actor: str | None  # the user's name
    note: str  # as the person typed it, or the matcher's reason in English
    # the matcher's reason, for programs: hold_refused, peer_unreachable ("" when a
    # person typed the note; other: written before the codes)
    note_code: str
    at: dt.datetime


class RunFigures(msgspec.Struct, kw_only=True):
    """A run's headline numbers, or the change in them from one run to another."""

    firm_units_filled: int
    lines_filled: int
    lines_short: int
    packs_bought: int
    goods_cost_ore: int
    routes: int  # of the proposed plan
    distance_m: int
    transport_cost_ore: int
    co2_grams: int


class LineChange(msgspec.Struct, kw_only=True):
    """Units of one offer on one demand line in each run, where they differ."""

    demand_line_id: UUID
    coop_id: UUID
    product_id: UUID
    offer_id: UUID
    units_before: int
    units_after: int


class RunComparison(msgspec.Struct, kw_only=True):
    before: RunOut
    after: RunOut
    figures_before: RunFigures
    figures_after: RunFigures
    change: RunFigures  # after minus before
    lines_moved: list[LineChange]


class CostShareRow(msgspec.Struct, kw_only=True):
    """One organisation's share of one route of the proposed plan."""

    route_id: UUID
    route_no: int
    organisation_id: UUID
    organisation: str
    payer: Literal["coop", "producer"]
    share_ore: int
    standalone_cost_ore: int | None
    route_cost_ore: int
