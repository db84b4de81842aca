"""Rules 1-5 and determinism, on thousands of random small networks."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from fractions import Fraction

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.optimum import exact_optimum
from services.matcher.engine import (
    AllocationProblem,
    AllocationResult,
    DemandLine,
    Offer,
    Pin,
    PinError,
    allocate,
)
from tests.unit.engine.checker import (
    broken_rules,
    eligible,
    max_firm_fill_single_units,
    pinned_packs_can_be_completed,
)

DAY = dt.date(2026, 12, 3)
PRODUCTS = [uuid.UUID(int=1000 + n) for n in range(2)]
PRODUCERS = [uuid.UUID(int=2000 + n) for n in range(3)]
COOPS = [uuid.UUID(int=3000 + n) for n in range(4)]


@st.composite
def offers(draw: st.DrawFn, *, pack_units: st.SearchStrategy[int], any_validity: bool) -> Offer:
    shift = draw(st.sampled_from([0, 0, 0, -3, 3])) if any_validity else 0
    return Offer(
        id=uuid.UUID(int=draw(st.integers(1, 10**9))),
        producer_id=draw(st.sampled_from(PRODUCERS)),
        product_id=draw(st.sampled_from(PRODUCTS)),
        pack_units=draw(pack_units),
        packs_available=draw(st.integers(0, 5)),
        price_per_pack_ore=draw(st.integers(0, 20_000)),
        valid_from=DAY + dt.timedelta(days=shift - 1 if shift <= 0 else shift),
        valid_until=DAY + dt.timedelta(days=shift + 1 if shift >= 0 else shift),
        temperature=draw(st.sampled_from(["ambient", "ambient", "chilled"])),
        grams_per_unit=draw(st.integers(0, 2000)),
    )


@st.composite
def lines(draw: st.DrawFn, *, tolerance: st.SearchStrategy[int], priced: bool) -> DemandLine:
    return DemandLine(
        id=uuid.UUID(int=draw(st.integers(1, 10**9))),
        coop_id=draw(st.sampled_from(COOPS)),
        product_id=draw(st.sampled_from(PRODUCTS)),
        firm_quantity=draw(st.integers(1, 40)),
        tolerance=draw(tolerance),
        max_unit_price_ore=draw(st.none() | st.integers(0, 3000)) if priced else None,
        temperature=draw(st.sampled_from(["ambient", "ambient", "chilled"])),
    )


PACK_UNITS = st.integers(1, 12)
TOLERANCE = st.integers(0, 6)


def problems(
    *,
    pack_units: st.SearchStrategy[int] = PACK_UNITS,
    tolerance: st.SearchStrategy[int] = TOLERANCE,
    priced: bool = True,
    any_validity: bool = True,
) -> st.SearchStrategy[AllocationProblem]:
    return st.builds(
        AllocationProblem,
        delivery_date=st.just(DAY),
        offers=st.lists(
            offers(pack_units=pack_units, any_validity=any_validity),
            max_size=6,
            unique_by=lambda o: o.id,
        ),
        lines=st.lists(
            lines(tolerance=tolerance, priced=priced),
            min_size=1,
            max_size=10,
            unique_by=lambda line: line.id,
        ),
    )


@settings(max_examples=2000, deadline=None)
@given(problems())
def test_every_allocation_keeps_rules_1_to_3(problem: AllocationProblem) -> None:
    result = allocate(problem)
    assert broken_rules(problem, result) == []
    summary = result.summary
    assert summary.firm_units_filled <= summary.firm_units_demanded
    assert summary.lines_short == len(result.shortfalls)


@settings(max_examples=500, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_the_same_problem_in_any_order_gives_the_same_result(
    problem: AllocationProblem, shuffler: random.Random
) -> None:
    offers, lines = list(problem.offers), list(problem.lines)
    shuffler.shuffle(offers)
    shuffler.shuffle(lines)
    shuffled = AllocationProblem(delivery_date=problem.delivery_date, offers=offers, lines=lines)
    assert allocate(shuffled) == allocate(problem)


@settings(max_examples=1000, deadline=None)
@given(problems(pack_units=st.just(1), tolerance=st.just(0)))
def test_with_single_unit_packs_the_fill_is_the_maximum_flow(problem: AllocationProblem) -> None:
    """Rule 4 where it can be checked exactly in a test: no pack effects at all."""
    assert allocate(problem).summary.firm_units_filled == max_firm_fill_single_units(problem)


@settings(max_examples=1000, deadline=None)
@given(problems())
def test_the_fill_is_the_most_any_whole_pack_allocation_fills(problem: AllocationProblem) -> None:
    """Rule 4 with real packs, tolerance and price limits: against a MILP written per
    line from the rules (``bench/optimum.py``), which shares no code with the engine."""
    optimum = exact_optimum(problem)
    assert optimum.proven
    result = allocate(problem)
    assert result.summary.firm_units_filled == optimum.firm_units_filled
    assert result.summary.unproven_groups == []


@settings(max_examples=300, deadline=None)
@given(problems())
def test_the_benchs_optimum_at_the_engines_shares_is_bounded_by_both_plans(
    problem: AllocationProblem,
) -> None:
    """``bench/optimum.py`` with shares (what ``make bench`` measures rule 6 against):
    the engine's plan gives each line its shares, so it costs no less; fixing the
    shares only narrows the free optimum's choices, so that costs no more."""
    result = allocate(problem)
    shares: dict[uuid.UUID, int] = {}
    for item in result.allocations:
        shares[item.line_id] = shares.get(item.line_id, 0) + item.units - item.tolerance_units
    at_shares = exact_optimum(problem, shares=shares)
    free = exact_optimum(problem)
    assert at_shares.proven
    assert free.proven
    assert at_shares.firm_units_filled == result.summary.firm_units_filled
    engine = result.summary.goods_cost_ore + result.summary.transport_estimate_ore
    assert free.landed_cost_ore <= at_shares.landed_cost_ore <= engine


@settings(max_examples=1000, deadline=None)
@given(problems(priced=False, any_validity=False, tolerance=st.just(0)))
def test_short_supply_is_shared_pro_rata_to_firm_quantities(problem: AllocationProblem) -> None:
    """Rule 5: where lines compete for the same offers and supply is short, each gets
    its exact pro-rata share of what there is, rounded to a neighbouring integer."""
    result = allocate(problem)
    got: dict[uuid.UUID, int] = {}
    for item in result.allocations:
        got[item.line_id] = got.get(item.line_id, 0) + item.units
    for product in PRODUCTS:
        for temperature in ("ambient", "chilled"):
            group = [
                line
                for line in problem.lines
                if line.product_id == product and line.temperature == temperature
            ]
            supply = sum(
                offer.pack_units * offer.packs_available
                for offer in problem.offers
                if offer.product_id == product and offer.temperature == temperature
            )
            demand = sum(line.firm_quantity for line in group)
            if not group or supply >= demand:
                continue
            for line in group:
                share = Fraction(line.firm_quantity * supply, demand)
                assert abs(got.get(line.id, 0) - share) < 1, (line, share, got.get(line.id))


@st.composite
def pinned_problems(draw: st.DrawFn, *, whole_packs: bool) -> AllocationProblem:
    """A problem with pins on eligible (offer, line) pairs, within each line's firm
    quantity and each offer's supply; ``whole_packs`` pins only whole packs."""
    problem = draw(problems(any_validity=False))  # more eligible pairs to pin
    pins: list[Pin] = []
    left_on_line = {line.id: line.firm_quantity for line in problem.lines}
    left_on_offer = {o.id: o.pack_units * o.packs_available for o in problem.offers}
    for offer in problem.offers:
        for line in problem.lines:
            if not eligible(problem, offer, line) or not draw(st.booleans()):
                continue
            most = min(left_on_line[line.id], left_on_offer[offer.id])
            if whole_packs:
                most -= most % offer.pack_units
            step = offer.pack_units if whole_packs else 1
            if most < step:
                continue
            units = draw(st.integers(1, most // step)) * step
            pins.append(Pin(offer_id=offer.id, line_id=line.id, units=units))
            left_on_line[line.id] -= units
            left_on_offer[offer.id] -= units
    return msgspec.structs.replace(problem, pins=pins)


def _honoured(problem: AllocationProblem, result: AllocationResult) -> list[Pin]:
    got = {(item.offer_id, item.line_id): item.units for item in result.allocations}
    return [pin for pin in problem.pins if got.get((pin.offer_id, pin.line_id), 0) < pin.units]


@settings(max_examples=500, deadline=None)
@given(pinned_problems(whole_packs=True))
def test_pins_of_whole_packs_are_always_honoured_within_rules_1_to_3(
    problem: AllocationProblem,
) -> None:
    result = allocate(problem)
    assert broken_rules(problem, result) == []
    assert _honoured(problem, result) == []


@settings(max_examples=500, deadline=None)
@given(pinned_problems(whole_packs=False))
def test_pins_are_refused_only_when_no_allocation_could_honour_them(
    problem: AllocationProblem,
) -> None:
    if not pinned_packs_can_be_completed(problem):
        with pytest.raises(PinError, match="part of a pack"):
            allocate(problem)
        return
    result = allocate(problem)
    assert broken_rules(problem, result) == []
    assert _honoured(problem, result) == []
