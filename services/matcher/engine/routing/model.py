"""What the routing stage takes and gives: plain structs, integers in the results.

Times are seconds since midnight of the delivery day, distances metres, money öre,
loads grams and millilitres. Places are given by latitude and longitude; the travel
times between them come from a ``Travel`` provider (see ``travel``).

Time at a stop is counted once: a van arrives after the drive (``arrival_s``); at a
place other than the one it just left it first parks and finds the door (the stop's
setup, ``stop_setup_s``), then hands the goods over (the shipment's service). The
window bounds when the handover begins: a van that comes early sets up while it
waits, so the handover begins at ``handover_begins``. Nothing is set up at the end
of a route, nor at a stop at the place the van just left.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal
from uuid import UUID

import msgspec

from services.matcher.engine.allocation.model import Temperature

StopKind = Literal["start", "pickup", "delivery", "end"]
Unserved = Literal[
    "no_vehicle",  # the network has no active vehicle
    "too_heavy",  # more weight or volume than any vehicle carries
    "no_cold_vehicle",  # chilled or frozen, and no vehicle keeps it cold
    "windows",  # the pickup and delivery windows can't both be met by any vehicle
    "no_room",  # possible alone, but no route had room or time for it
]
CO2_GRAMS_PER_KM = 200  # a light diesel van: see docs/routing.md
STOP_SETUP_S = 300  # parking and finding the door, once per stop at a new place


class Place(msgspec.Struct, frozen=True, kw_only=True, order=True):
    lat: float
    lon: float


class Window(msgspec.Struct, frozen=True, kw_only=True, order=True):
    opens_s: int
    closes_s: int


WHOLE_DAY = Window(opens_s=0, closes_s=24 * 3600)


def handover_begins(arrival_s: int, setup_s: int, window: Window) -> int:
    """When the goods change hands at a stop: once the van is set up, and not before
    the window opens (setting up overlaps the wait). Late if after ``window.closes_s``."""
    return max(arrival_s + setup_s, window.opens_s)


class Shipment(msgspec.Struct, frozen=True, kw_only=True):
    """What one producer sends one co-op in one temperature class."""

    producer_id: UUID
    coop_id: UUID
    temperature: Temperature
    grams: int
    ml: int
    pickup: Place
    delivery: Place
    pickup_window: Window = WHOLE_DAY
    delivery_window: Window = WHOLE_DAY
    pickup_service_s: int = 60  # handing over the crates; the stop itself: STOP_SETUP_S
    delivery_service_s: int = 60

    @property
    def cold(self) -> bool:
        return self.temperature != "ambient"


ShipmentKey = tuple[Place, Place, Window, Window, str, int, int, int, int, UUID, UUID]
VehicleKey = tuple[Place, Place, Window, int, int, bool, int, int, int, UUID]


def shipment_key(shipment: Shipment) -> ShipmentKey:
    """Shipments in order of what they are, not whose they are: two networks that differ
    only in their ids are planned alike. Ids break ties only between shipments alike in
    all else, which the solver can't tell apart anyway."""
    s = shipment
    return (
        s.pickup,
        s.delivery,
        s.pickup_window,
        s.delivery_window,
        s.temperature,
        s.grams,
        s.ml,
        s.pickup_service_s,
        s.delivery_service_s,
        s.producer_id,
        s.coop_id,
    )


def heaviest(shipments: Iterable[Shipment]) -> Shipment:
    """The shipment whose place and window stand for a group picked up together: the
    heaviest, ties by ``shipment_key``."""
    return min(shipments, key=lambda s: (-s.grams, shipment_key(s)))


class Vehicle(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    capacity_grams: int
    capacity_ml: int
    cold_capable: bool
    start: Place
    end: Place
    shift: Window
    fixed_cost_ore: int = 0
    cost_per_km_ore: int = 0
    cost_per_hour_ore: int = 0
    producer_id: UUID | None = None  # a producer's own van, in the baseline


def vehicle_key(vehicle: Vehicle) -> VehicleKey:
    """Vehicles in order of what they are (as ``shipment_key``), the id last."""
    v = vehicle
    return (
        v.start,
        v.end,
        v.shift,
        v.capacity_grams,
        v.capacity_ml,
        v.cold_capable,
        v.fixed_cost_ore,
        v.cost_per_km_ore,
        v.cost_per_hour_ore,
        v.id,
    )


class RoutingProblem(msgspec.Struct, frozen=True, kw_only=True):
    shipments: list[Shipment]
    vehicles: list[Vehicle]
    stop_setup_s: int = STOP_SETUP_S  # service at a stop at a new place, never at the end


class Stop(msgspec.Struct, frozen=True, kw_only=True):
    """One stop of a route; ``departure_s`` is ``arrival_s + wait_s + service_s``."""

    kind: StopKind
    place: Place
    shipment: int | None  # index into the problem's shipments; None at start and end
    arrival_s: int  # when the van gets there; at the start, when it leaves
    departure_s: int
    wait_s: int  # idle beyond the setup, until the window opens
    service_s: int  # the setup (at a new place) and the handover
    load_grams: int  # on board when leaving
    load_ml: int


class Route(msgspec.Struct, frozen=True, kw_only=True):
    vehicle_id: UUID
    stops: list[Stop]
    distance_m: int
    duration_s: int
    cost_ore: int
    co2_grams: int


class Left(msgspec.Struct, frozen=True, kw_only=True):
    shipment: int
    reason: Unserved


class Totals(msgspec.Struct, frozen=True, kw_only=True):
    routes: int
    distance_m: int
    duration_s: int
    cost_ore: int
    co2_grams: int


class RoutePlan(msgspec.Struct, frozen=True, kw_only=True):
    routes: list[Route]
    unserved: list[Left]
    totals: Totals
    clock_capped: bool = False  # a search stopped at its time cap: may differ elsewhere
