"""What can be done alone: a shipment in any one vehicle, and a producer in its own van.

``why_not_alone`` says why a shipment can't be carried at all, whatever else is on the
road. The solver checks it first, so the coordinator sees a reason that names the
shipment's own problem (too heavy, no cold vehicle, windows no vehicle can meet)
rather than "the solver left it out".

The rest are the rules of the baseline every plan is compared with: each producer
delivers the shipments the proposed plan carries (so savings compare like for like)
in one round trip from its farm, in its own van (``own_van_like``, made per producer by
``producer_van``), visiting its co-ops in the best order (``plans.plan_baseline``); what
one trip can't carry in its windows goes on more trips (``extra_trips``), and what its
own van can't deliver in time at all goes in one of the network's kinds of van, hired
from the farm (``hired_vans``).
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from uuid import UUID

import msgspec

from services.matcher.engine.routing.model import (
    Left,
    Place,
    RoutingProblem,
    Shipment,
    ShipmentKey,
    Unserved,
    Vehicle,
    Window,
    handover_begins,
    heaviest,
    shipment_key,
    vehicle_key,
)
from services.matcher.engine.routing.travel import TravelMatrix

# A producer's own van in the baseline, where the network's vans say nothing better.
OWN_VAN_KG = 1_000
OWN_VAN_PER_KM_ORE = 250
OWN_VAN_PER_HOUR_ORE = 30_000
OWN_VAN = UUID("6f0c5e84-6a33-4c36-9b2f-5a6f2a1f0000")  # namespace of producers' own vans


def why_not_alone(
    shipment: Shipment,
    problem: RoutingProblem,
    matrix: TravelMatrix,
    index: dict[object, int],
) -> Unserved | None:
    """None when some vehicle could carry the shipment on its own; else the reason."""
    vehicles = problem.vehicles
    if not vehicles:
        return "no_vehicle"
    cold_enough = [v for v in vehicles if v.cold_capable or not shipment.cold]
    if not cold_enough:
        return "no_cold_vehicle"
    big_enough = [
        v
        for v in cold_enough
        if v.capacity_grams >= shipment.grams and v.capacity_ml >= shipment.ml
    ]
    if not big_enough:
        return "too_heavy"
    if not any(_in_time(shipment, v, matrix, index, problem.stop_setup_s) for v in big_enough):
        return "windows"
    return None


def _in_time(
    shipment: Shipment,
    vehicle: Vehicle,
    matrix: TravelMatrix,
    index: dict[object, int],
    setup_s: int,
) -> bool:
    """Whether the vehicle, leaving as its shift begins, could carry the shipment alone:
    timed as the solver times a route (``model.handover_begins``)."""
    visits = (
        (shipment.pickup, shipment.pickup_window, shipment.pickup_service_s),
        (shipment.delivery, shipment.delivery_window, shipment.delivery_service_s),
    )
    here, at = index[vehicle.start], vehicle.shift.opens_s
    for place, window, handover in visits:
        there = index[place]
        setup = setup_s if there != here else 0
        begins = handover_begins(at + matrix.seconds[here][there], setup, window)
        if begins > window.closes_s:
            return False
        here, at = there, begins + handover
    return at + matrix.seconds[here][index[vehicle.end]] <= vehicle.shift.closes_s  # no setup


def own_van_like(fleet: Sequence[Vehicle]) -> Vehicle:
    """A producer's van: costs like the network's vans (their median), a whole day.
    ``fleet`` is every van of the network, those the coordinator left out included:
    what a van costs here does not depend on which ones run."""
    place = Place(lat=0.0, lon=0.0)  # replaced by the farm
    return Vehicle(
        id=uuid.UUID(int=0),
        capacity_grams=OWN_VAN_KG * 1000,
        capacity_ml=OWN_VAN_KG * 2000,
        cold_capable=True,
        start=place,
        end=place,
        shift=Window(opens_s=0, closes_s=24 * 3600),
        fixed_cost_ore=int(statistics.median([v.fixed_cost_ore for v in fleet] or [0])),
        cost_per_km_ore=int(
            statistics.median([v.cost_per_km_ore for v in fleet] or [OWN_VAN_PER_KM_ORE])
        ),
        cost_per_hour_ore=int(
            statistics.median([v.cost_per_hour_ore for v in fleet] or [OWN_VAN_PER_HOUR_ORE])
        ),
    )


def alone_by_producer(
    shipments: Sequence[Shipment], unserved: Iterable[Left]
) -> list[tuple[UUID, list[int]]]:
    """The shipment numbers each producer delivers alone: those the proposed plan
    carries, that is all but its ``unserved``; producers in order of what they send
    (``shipment_key``), so the baseline's routes come in an order that ids don't set."""
    left = {item.shipment for item in unserved}
    by_producer: dict[UUID, list[int]] = defaultdict(list)
    for number, shipment in enumerate(shipments):
        if number not in left:
            by_producer[shipment.producer_id].append(number)

    def sends(item: tuple[UUID, list[int]]) -> tuple[list[ShipmentKey], UUID]:
        return sorted(shipment_key(shipments[n]) for n in item[1]), item[0]

    return sorted(by_producer.items(), key=sends)


def producer_van(own_van: Vehicle, producer_id: UUID, mine: Sequence[Shipment]) -> Vehicle:
    """The producer's own van for its round trip: from its farm (where its heaviest
    shipment is picked up) and back, big enough for all it sends."""
    farm = heaviest(mine).pickup
    return msgspec.structs.replace(
        own_van,
        id=uuid.uuid5(OWN_VAN, str(producer_id)),
        producer_id=producer_id,
        start=farm,
        end=farm,
        capacity_grams=max(own_van.capacity_grams, sum(s.grams for s in mine)),
        capacity_ml=max(own_van.capacity_ml, sum(s.ml for s in mine)),
        cold_capable=True,  # a producer of cold goods has its own way to keep them cold
    )


def hired_vans(
    vehicles: Sequence[Vehicle], producer_id: UUID, farm: Place, count: int
) -> list[Vehicle]:
    """The network's kinds of van, each from the producer's farm and back, ``count``
    of each: for a shipment its own van can't deliver in time (a longer shift, an
    earlier start), as a producer alone would hire one. Vans alike but for their id
    and place count once."""
    kinds: dict[tuple[object, ...], Vehicle] = {}
    for vehicle in vehicles:
        placed = msgspec.structs.replace(vehicle, start=farm, end=farm, producer_id=producer_id)
        kinds.setdefault(vehicle_key(placed)[:-1], placed)  # all but the id
    return [
        msgspec.structs.replace(van, id=uuid.uuid5(OWN_VAN, f"{producer_id}:hired:{kind}:{trip}"))
        for kind, van in enumerate(kinds[key] for key in sorted(kinds))
        for trip in range(count)
    ]


def extra_trips(van: Vehicle, producer_id: UUID, count: int) -> list[Vehicle]:
    """More round trips of the producer's own van, one per shipment its first trip
    could not carry (fewer are used when some fit one trip); each starts the day anew."""
    return [
        msgspec.structs.replace(van, id=uuid.uuid5(OWN_VAN, f"{producer_id}:{trip}"))
        for trip in range(1, count + 1)
    ]
