"""From allocations to shipments: one per producer, co-op and temperature class."""

from __future__ import annotations

import uuid

from services.matcher.engine.allocation.model import Allocation, AllocationResult, Summary
from services.matcher.engine.routing.model import Place
from services.matcher.engine.routing.shipments import CoopSite, OfferSite, build_shipments

FARM, NEAR, NOWHERE = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
CARROTS, MILK, CHEESE = uuid.UUID(int=10), uuid.UUID(int=11), uuid.UUID(int=12)
LINES = {uuid.UUID(int=20 + n): coop for n, coop in enumerate([NEAR, NEAR, NEAR, NOWHERE])}


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
    result = AllocationResult(
        purchases=[],
        allocations=[
            Allocation(offer_id=CARROTS, line_id=lines[0], units=10, tolerance_units=0),
            Allocation(offer_id=MILK, line_id=lines[1], units=6, tolerance_units=0),
            Allocation(offer_id=CHEESE, line_id=lines[2], units=4, tolerance_units=0),
            Allocation(offer_id=CARROTS, line_id=lines[3], units=5, tolerance_units=0),
        ],
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
    coops = {NEAR: CoopSite(place=Place(lat=59.86, lon=17.64))}
    shipments, unplaced = build_shipments(result, offers, LINES, coops)
    assert [(s.coop_id, s.temperature, s.grams, s.ml) for s in shipments] == [
        (NEAR, "ambient", 10_000, 14_000),
        (NEAR, "chilled", 6 * 1030 + 4 * 500, 6 * 1000 + 4 * 600),
    ]
    assert [(u.coop_id, u.grams) for u in unplaced] == [(NOWHERE, 5_000)]
