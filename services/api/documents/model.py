"""The printable documents as values: a producer's pick list, a co-op's delivery note, a
driver's route sheet. Built from the stored run by ``service.py``; rendered as HTML
(``html.py``) and PDF (``pdf.py``) from the same values, so both say the same.

Pure: how a pack is split between co-ops is worked out here, without I/O. Quantities
are integer catalogue units (``per_unit_milli`` says how big one is: 500 for cheese in
500 g units), money integer öre, weights integer grams.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal
from uuid import UUID

import msgspec

from services.api.demand.amounts import Measure
from services.api.runs.documents import NoteLine, PickLine

Plan = Literal["joint", "hub", "baseline"]


class Heading(msgspec.Struct, kw_only=True, frozen=True):
    """What every document of a run says at the top."""

    run_id: UUID
    run_version: int
    network: str
    delivery_date: dt.date
    zone: str  # the network's time zone: every time is shown in it
    plan: str
    hub_address: str


class Party(msgspec.Struct, kw_only=True, frozen=True):
    id: UUID
    name: str
    address: str = ""
    phone: str = ""


class Portion(msgspec.Struct, kw_only=True, frozen=True):
    """Units of a pack (or of an offer) for one co-op."""

    coop: str
    units: int


class PackGroup(msgspec.Struct, kw_only=True, frozen=True):
    """``packs`` packs split alike: each into ``portions``."""

    packs: int
    portions: list[Portion]


class PackedOffer(msgspec.Struct, kw_only=True, frozen=True):
    """One offer's packs bought in the run, and who gets what of them."""

    product: str
    unit: str
    pack_units: int
    packs: int
    price_per_pack_ore: int
    coops: list[Portion]  # each co-op's units of the offer, largest first
    split: list[PackGroup]  # pack by pack
    per_unit_milli: int = 1000  # one catalogue unit in thousandths of ``unit``

    @property
    def measure(self) -> Measure:
        return Measure(self.unit, self.per_unit_milli)

    @property
    def value_ore(self) -> int:
        return self.packs * self.price_per_pack_ore


class PeerOrderLine(msgspec.Struct, kw_only=True, frozen=True):
    """A line of an order a peer deployment sent the producer for the delivery day
    (docs/federation.md, "Orders"): its packs are held for that peer already."""

    peer: str
    network: str
    delivery_date: dt.date
    product: str
    packs: int
    pack_units: int
    state: str


class PickList(msgspec.Struct, kw_only=True, frozen=True):
    heading: Heading
    producer: Party
    split_by: Literal["producer", "hub"]  # who divides the packs between the co-ops
    offers: list[PackedOffer]
    lines: list[PickLine]  # per co-op and product: units, when and which van picks up
    coops: dict[UUID, Party]  # where each co-op is, for its labels
    peer_orders: list[PeerOrderLine] = []  # orders from peer deployments for the day

    @property
    def labels(self) -> list[PickLine]:
        """One label per co-op and product of each pickup: a crate for each."""
        return self.lines

    @property
    def value_ore(self) -> int:
        return sum(offer.value_ore for offer in self.offers)


class ShortLine(msgspec.Struct, kw_only=True, frozen=True):
    """A line the run did not fill: what was ordered, delivered, and why not the rest."""

    product: str
    unit: str
    ordered: int
    tolerance: int
    delivered: int
    short: int
    reason: str
    max_unit_price_ore: int | None = None
    pro_rata_permille: int | None = None
    units_to_next_pack: int | None = None
    cheapest_unit_price_ore: int | None = None
    per_unit_milli: int = 1000

    @property
    def measure(self) -> Measure:
        return Measure(self.unit, self.per_unit_milli)


class Transport(msgspec.Struct, kw_only=True, frozen=True):
    """The co-op's share of the shared routes, against delivering to it alone."""

    share_ore: int
    alone_ore: int
    routes: int

    @property
    def saved_ore(self) -> int:
        return max(0, self.alone_ore - self.share_ore)


class NoteDocument(msgspec.Struct, kw_only=True, frozen=True):
    heading: Heading
    coop: Party
    lines: list[NoteLine]
    short: list[ShortLine]
    transport: Transport
    goods_ore: int

    @property
    def total_ore(self) -> int:
        return self.goods_ore + self.transport.share_ore


class Goods(msgspec.Struct, kw_only=True, frozen=True):
    producer: str
    coop: str
    product: str
    unit: str
    units: int
    per_unit_milli: int = 1000

    @property
    def measure(self) -> Measure:
        return Measure(self.unit, self.per_unit_milli)


StopRole = Literal["start", "end", "hub", "producer", "coop"]


class SheetStop(msgspec.Struct, kw_only=True, frozen=True):
    seq: int
    kind: Literal["start", "pickup", "delivery", "end"]
    role: StopRole
    arrival_at: dt.datetime
    departure_at: dt.datetime
    name: str  # who is met there ("" at the start, the end and the hub)
    address: str
    phone: str
    goods: list[Goods]
    load_grams: int  # on board when leaving
    handover: str = ""  # a pickup at a peer's hand-over point: that peer's name


class SheetDocument(msgspec.Struct, kw_only=True, frozen=True):
    heading: Heading
    route_id: UUID
    route_no: int
    vehicle: str  # "" for a producer's own van
    producer: str  # whose own van, on a baseline route
    start: str  # the start's coordinates (a vehicle has no street address)
    starts_at_hub: bool
    distance_m: int
    duration_s: int
    stops: list[SheetStop]


def split_packs(pack_units: int, portions: Sequence[Portion]) -> list[PackGroup]:
    """How packs of ``pack_units`` are divided between co-ops, pack by pack.

    Whole packs go whole to one co-op first (a farmer hands a full sack over as it is);
    the rest, largest first, fill the remaining packs in turn, so every pack is full and
    a co-op's rest is split over at most two packs. Consecutive packs divided alike are
    one group ("3 packs: Flogsta 25 kg each"). The runs buy packs whole and share them
    out fully; should the portions not fill the packs exactly, the last pack is shown
    with what it holds.
    """
    ordered = sorted(portions, key=lambda p: (-p.units, p.coop))
    packs_out: list[list[Portion]] = []
    rests: list[Portion] = []
    for portion in ordered:
        whole, rest = divmod(portion.units, pack_units)
        packs_out += [[Portion(coop=portion.coop, units=pack_units)] for _ in range(whole)]
        if rest:
            rests.append(Portion(coop=portion.coop, units=rest))
    current: list[Portion] = []
    room = pack_units
    for portion in sorted(rests, key=lambda p: (-p.units, p.coop)):
        left = portion.units
        while left:
            taken = min(left, room)
            current.append(Portion(coop=portion.coop, units=taken))
            left -= taken
            room -= taken
            if room == 0:
                packs_out.append(current)
                current, room = [], pack_units
    if current:
        packs_out.append(current)
    groups: list[PackGroup] = []
    for pack in packs_out:
        if groups and groups[-1].portions == pack:
            groups[-1] = PackGroup(packs=groups[-1].packs + 1, portions=pack)
        else:
            groups.append(PackGroup(packs=1, portions=pack))
    return groups
