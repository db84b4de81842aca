"""The worked examples of docs/matching.md, one test each."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
import pytest

from services.matcher.engine import (
    AllocationProblem,
    AllocationResult,
    DemandLine,
    Offer,
    Pin,
    PinError,
    TransportEstimate,
    allocate,
)
from services.matcher.engine.allocation.pins import pin_problems
from tests.unit.engine.checker import broken_rules

DAY = dt.date(2026, 12, 3)
CARROTS = uuid.UUID(int=1)
EKEBY, LOVSTA = uuid.UUID(int=10), uuid.UUID(int=11)


def offer(n: int, pack_units: int, packs: int, price: int, **extra: Any) -> Offer:
    values: dict[str, Any] = {
        "id": uuid.UUID(int=100 + n),
        "producer_id": EKEBY,
        "product_id": CARROTS,
        "pack_units": pack_units,
        "packs_available": packs,
        "price_per_pack_ore": price,
        "valid_from": DAY,
        "valid_until": DAY,
        "grams_per_unit": 1000,
    }
    return Offer(**(values | extra))


def line(n: int, firm: int, tolerance: int = 0, **extra: Any) -> DemandLine:
    values: dict[str, Any] = {
        "id": uuid.UUID(int=200 + n),
        "coop_id": uuid.UUID(int=300 + n),
        "product_id": CARROTS,
        "firm_quantity": firm,
        "tolerance": tolerance,
    }
    return DemandLine(**(values | extra))


def run(offers: list[Offer], lines: list[DemandLine], **extra: Any) -> AllocationResult:
    problem = AllocationProblem(delivery_date=DAY, offers=offers, lines=lines, **extra)
    result = allocate(problem)
    assert broken_rules(problem, result) == []
    return result


def units(result: AllocationResult) -> dict[int, int]:
    """Units per line, keyed by the line's number in the example."""
    got: dict[int, int] = {}
    for item in result.allocations:
        got[item.line_id.int - 200] = got.get(item.line_id.int - 200, 0) + item.units
    return got


def reasons(result: AllocationResult) -> dict[int, tuple[str, int]]:
    return {s.line_id.int - 200: (s.reason, s.units_short) for s in result.shortfalls}


def test_three_small_orders_share_one_crate_with_one_unit_of_tolerance() -> None:
    result = run([offer(1, 10, 5, 14_000)], [line(1, 4, 1), line(2, 3, 1), line(3, 2, 1)])
    assert result.summary.packs_bought == 1
    assert sum(units(result).values()) == 10
    assert result.summary.firm_units_filled == 9
    assert result.summary.tolerance_units == 1
    assert result.shortfalls == []


def test_tolerance_never_starts_a_pack() -> None:
    result = run([offer(1, 10, 3, 14_000)], [line(1, 10, 9)])
    assert result.summary.packs_bought == 1
    assert units(result) == {1: 10}


def test_an_uncompletable_pack_is_not_bought_and_says_what_would_complete_it() -> None:
    result = run([offer(1, 10, 50, 14_000)], [line(1, 50), line(2, 53)])
    assert result.summary.packs_bought == 10
    assert units(result) == {1: 49, 2: 51}  # the 3 missing units shared pro rata
    assert reasons(result) == {1: ("pack_not_completed", 1), 2: ("pack_not_completed", 2)}
    assert {s.units_to_next_pack for s in result.shortfalls} == {7}


def test_short_supply_is_shared_pro_rata_not_first_come() -> None:
    result = run([offer(1, 10, 2, 14_000)], [line(1, 30), line(2, 10)])
    assert units(result) == {1: 15, 2: 5}
    assert {s.pro_rata_permille for s in result.shortfalls} == {500}
    assert set(reasons(result).values()) == {("supply_short", 15), ("supply_short", 5)}


def test_largest_remainders_round_deterministically() -> None:
    result = run([offer(1, 1, 10, 1_400)], [line(1, 10), line(2, 10), line(3, 10)])
    assert units(result) == {1: 4, 2: 3, 3: 3}


def test_a_tight_max_price_gets_the_cheap_offer_and_a_generous_one_the_dear_one() -> None:
    cheap, dear = offer(1, 10, 1, 10_000), offer(2, 10, 1, 50_000)  # 10 and 50 kr/kg
    result = run(
        [cheap, dear],
        [line(1, 10, max_unit_price_ore=2_000), line(2, 10, max_unit_price_ore=9_000)],
    )
    assert units(result) == {1: 10, 2: 10}
    by_pair = {(a.offer_id, a.line_id.int - 200): a.units for a in result.allocations}
    assert by_pair == {(cheap.id, 1): 10, (dear.id, 2): 10}


def test_both_offers_are_bought_when_price_limits_split_the_lines_between_them() -> None:
    """Buying the cheap crate alone fills 12 firm units; both crates fill all 19."""
    cheap, dear = offer(1, 12, 1, 40_900), offer(2, 12, 2, 65_900)
    result = run(
        [cheap, dear],
        [
            line(1, 7, 3),
            line(2, 7, 5, max_unit_price_ore=5350),
            line(3, 3, 1, max_unit_price_ore=4514),
            line(4, 2, 1),
        ],
    )
    assert result.summary.firm_units_filled == 19
    assert sum(units(result).values()) == 24  # the 5 units beyond 19 are tolerance
    assert {p.offer_id.int - 100: p.packs for p in result.purchases} == {1: 1, 2: 1}
    assert result.shortfalls == []
    assert result.summary.unproven_groups == []


def test_a_price_above_every_max_is_named_with_the_best_price() -> None:
    result = run([offer(1, 10, 5, 14_000)], [line(1, 5, max_unit_price_ore=1_000)])
    (shortfall,) = result.shortfalls
    assert (shortfall.reason, shortfall.cheapest_unit_price_ore) == ("price_above_max", 1_400)


def test_the_lower_landed_cost_wins_between_equal_prices() -> None:
    far, near = offer(1, 10, 1, 14_000), offer(2, 10, 1, 14_000, producer_id=LOVSTA)
    coop = uuid.UUID(int=301)
    transport = [
        TransportEstimate(producer_id=EKEBY, coop_id=coop, ore_per_kg=300),
        TransportEstimate(producer_id=LOVSTA, coop_id=coop, ore_per_kg=40),
    ]
    result = run([far, near], [line(1, 10)], transport=transport)
    assert [p.offer_id for p in result.purchases] == [near.id]
    assert result.summary.transport_estimate_ore == 400  # 10 kg at 0.40 kr/kg


def test_each_unfillable_line_says_why() -> None:
    onions = uuid.UUID(int=2)
    result = run(
        [
            offer(
                1,
                10,
                5,
                14_000,
                valid_from=DAY + dt.timedelta(days=1),
                valid_until=DAY.replace(day=9),
            ),
            offer(2, 6, 5, 9_000, product_id=onions, temperature="chilled"),
        ],
        [
            line(1, 5),
            line(2, 5, product_id=onions),
            line(3, 5, product_id=uuid.UUID(int=3)),
        ],
    )
    assert reasons(result) == {
        1: ("validity", 5),
        2: ("temperature", 5),
        3: ("no_offer", 5),
    }


def test_the_checker_catches_an_allocation_that_breaks_the_rules() -> None:
    """The property tests lean on the checker; it must see a broken result."""
    problem = AllocationProblem(delivery_date=DAY, offers=[offer(1, 10, 1, 1)], lines=[line(1, 10)])
    result = allocate(problem)
    assert result.allocations
    inflated = msgspec.structs.replace(
        result,
        allocations=[
            msgspec.structs.replace(item, units=item.units + 1) for item in result.allocations
        ],
    )
    assert broken_rules(problem, inflated)


def test_a_pinned_crate_is_completed_before_a_cheaper_one_is_started() -> None:
    cheap, dear = offer(1, 10, 1, 10_000), offer(2, 10, 1, 14_000)
    pins = [Pin(offer_id=dear.id, line_id=line(1, 3).id, units=3)]
    result = run([cheap, dear], [line(1, 3), line(2, 7)], pins=pins)
    by_pair = {(a.offer_id, a.line_id.int - 200): a.units for a in result.allocations}
    assert by_pair == {(dear.id, 1): 3, (dear.id, 2): 7}
    assert [p.offer_id for p in result.purchases] == [dear.id]


def test_pinned_packs_are_completed_together_when_one_order_would_strand_one() -> None:
    """Found by Hypothesis: finishing the cheaper pinned crate first, into the only line
    the dearer one may serve, left the dearer crate part-used and failed the run."""
    cheap, dear = offer(1, 4, 1, 4_000), offer(2, 2, 1, 6_000)
    near = line(1, 5)  # may take either crate
    thrifty = line(2, 3, max_unit_price_ore=1_000)  # may take only the cheap one
    pins = [
        Pin(offer_id=cheap.id, line_id=near.id, units=1),
        Pin(offer_id=dear.id, line_id=near.id, units=1),
    ]
    result = run([cheap, dear], [near, thrifty], pins=pins)
    by_pair = {(a.offer_id.int - 100, a.line_id.int - 200): a.units for a in result.allocations}
    assert by_pair == {(1, 1): 3, (1, 2): 1, (2, 1): 2}  # the dear crate all to the near line
    assert sorted(p.packs for p in result.purchases) == [1, 1]


def test_a_pin_beyond_the_firm_quantity_counts_as_tolerance() -> None:
    crate = offer(1, 10, 2, 14_000)
    pins = [Pin(offer_id=crate.id, line_id=line(1, 4).id, units=6)]
    result = run([crate], [line(1, 4, 2), line(2, 4)], pins=pins)
    assert units(result) == {1: 6, 2: 4}
    assert {a.line_id.int - 200: a.tolerance_units for a in result.allocations} == {1: 2, 2: 0}


def test_pins_that_cannot_be_honoured_say_which_and_why() -> None:
    crate, other = offer(1, 10, 1, 14_000), offer(2, 10, 1, 14_000, temperature="chilled")
    problem = AllocationProblem(
        delivery_date=DAY,
        offers=[crate, other],
        lines=[line(1, 4), line(2, 4, max_unit_price_ore=1_000)],
        pins=[
            Pin(offer_id=crate.id, line_id=line(1, 4).id, units=5),
            Pin(offer_id=other.id, line_id=line(1, 4).id, units=1),
            Pin(offer_id=crate.id, line_id=line(2, 4).id, units=2),
            Pin(offer_id=uuid.UUID(int=999), line_id=line(2, 4).id, units=1),
        ],
    )
    assert pin_problems(problem) == [
        "pins[1]: the offer is chilled, the line wants ambient",
        "pins[2]: the offer's unit price is above the line's maximum",
        f"pins[3]: offer {uuid.UUID(int=999)} is not in this run",
        f"demand line {line(1, 4).id}: 6 units pinned, "
        "more than its firm quantity plus tolerance (4)",
    ]
    with pytest.raises(PinError, match="pins\\[1\\]"):
        allocate(problem)


def test_a_pinned_crate_nobody_else_can_finish_fails_the_run() -> None:
    crate = offer(1, 10, 1, 14_000)
    pins = [Pin(offer_id=crate.id, line_id=line(1, 3).id, units=3)]
    problem = AllocationProblem(
        delivery_date=DAY, offers=[crate], lines=[line(1, 3), line(2, 2, 1)], pins=pins
    )
    with pytest.raises(PinError, match="part of a pack"):
        allocate(problem)
