"""From allocations to shipments: one per producer, co-op and temperature class."""

from __future__ import annotations

import uuid

import msgspec

from services.matcher.engine.allocation.model import Allocation, AllocationResult, Summary
from services.matcher.engine.routing.model import Place, Window
from services.matcher.engine.routing.shipments import CoopSite, OfferSite, build_shipments

FARM, NEAR, NOWHERE = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
CARROTS, MILK, CHEESE = uuid.UUID(int=10), uuid.UUID(int=11), uuid.UUID(int=12)
LINES = {uuid.UUID(int=20 + n): coop for n, coop in enumerate([NEAR, NEAR, NEAR, NOWHERE])}
EMPTY = AllocationResult(
    purchases=[],
    allocations=[],
    shortfalls=[],
    summary=Summary(
        firm_units_demanded=0,
        firm_units_filled=0,
        tolerance_units=0,
        packs_bought=0,
        goods_cost_ore=0,
        transport_estimate_ore=0,
        lines_filled=0,
        lines_short=0,
    ),
)


def test_units_become_weights_per_co_op_and_temperature() -> None:
    here = Place(lat=59.9, lon=17.5)
    offers = {
        CARROTS: OfferSite(
            producer_id=FARM,
            temperature="ambient",
            grams_per_unit=1000,
            ml_per_unit=1400,
            place=here,
        ),
        MILK: OfferSite(
            producer_id=FARM,
            temperature="chilled",
            grams_per_unit=1030,
            ml_per_unit=1000,
            place=here,
        ),
        CHEESE: OfferSite(
            producer_id=FARM, temperature="chilled", grams_per_unit=500, ml_per_unit=600, place=here
        ),
    }
    lines = list(LINES)
    result = msgspec.structs.replace(
        EMPTY,
        allocations=[
            Allocation(offer_id=CARROTS, line_id=lines[0], units=10, tolerance_units=0),
            Allocation(offer_id=MILK, line_id=lines[1], units=6, tolerance_units=0),
            Allocation(offer_id=CHEESE, line_id=lines[2], units=4, tolerance_units=0),
            Allocation(offer_id=CARROTS, line_id=lines[3], units=5, tolerance_units=0),
        ],
    )
    coops = {NEAR: CoopSite(place=Place(lat=59.86, lon=17.64))}
    shipments, unplaced = build_shipments(result, offers, LINES, coops)
    assert [(s.coop_id, s.temperature, s.grams, s.ml) for s in shipments] == [
        (NEAR, "ambient", 10_000, 14_000),
        (NEAR, "chilled", 6 * 1030 + 4 * 500, 6 * 1000 + 4 * 600),
    ]
    assert [(u.coop_id, u.grams) for u in unplaced] == [(NOWHERE, 5_000)]


def test_a_tie_for_the_heaviest_part_is_settled_by_window_and_place_not_by_ids() -> None:
    """Two offers weighing the same, picked up at different places: the shipment goes
    from the one open earlier, whichever id sorts first."""
    early = Window(opens_s=7 * 3600, closes_s=9 * 3600)
    late = Window(opens_s=8 * 3600, closes_s=9 * 3600)
    shed, barn = Place(lat=59.9, lon=17.5), Place(lat=59.8, lon=17.4)
    coops = {NEAR: CoopSite(place=Place(lat=59.86, lon=17.64))}
    lines = list(LINES)
    for first, second in ((CARROTS, MILK), (MILK, CARROTS)):
        offers = {
            first: OfferSite(
                producer_id=FARM,
                temperature="ambient",
                grams_per_unit=1000,
                ml_per_unit=1000,
                place=shed,
                window=late,
            ),
            second: OfferSite(
                producer_id=FARM,
                temperature="ambient",
                grams_per_unit=1000,
                ml_per_unit=1000,
                place=barn,
                window=early,
            ),
        }
        result = msgspec.structs.replace(
            EMPTY,
            allocations=[
                Allocation(offer_id=first, line_id=lines[0], units=3, tolerance_units=0),
                Allocation(offer_id=second, line_id=lines[1], units=3, tolerance_units=0),
            ],
        )
        (shipment,) = build_shipments(result, offers, LINES, coops)[0]
        assert (shipment.pickup, shipment.pickup_window) == (barn, early)
