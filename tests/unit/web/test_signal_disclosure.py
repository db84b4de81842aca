"""The demand signal never tells one co-op's order: every figure it shows of a product, and
every sum or difference of them, adds up the orders of none or of at least three co-ops.

The checker is independent of the rule: it writes each shown figure as what each co-op
puts into it, and tries every combination of them with signs -1, 0 and +1.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.api.signal.disclosure import MINIMUM_COOPS, ReasonSums, shown_reasons, too_few

REASONS = ("no_offer", "price_above_max", "pack_not_completed", "supply_short", "other")


@dataclass(frozen=True)
class Order:
    """One co-op's order of a product, and what the run did with it."""

    firm_units: int
    filled_units: int  # of the firm units
    reason: str  # why the rest was not filled ("" if filled whole)


def sums(orders: list[Order]) -> list[ReasonSums]:
    """What the SQL adds up per reason."""
    found = []
    for reason in REASONS:
        short = [o for o in orders if o.reason == reason]
        if short:
            found.append(
                ReasonSums(
                    reason,
                    len(short),
                    sum(o.filled_units == 0 for o in short),
                    sum(o.firm_units - o.filled_units for o in short),
                )
            )
    return found


def contributions(orders: list[Order], shown: set[str]) -> list[list[int]]:
    """Each figure shown (the firm units, then each reason's units short) as what each
    co-op puts into it."""
    figures = [[o.firm_units for o in orders]]
    for reason in sorted(shown):
        figures.append([o.firm_units - o.filled_units if o.reason == reason else 0 for o in orders])
    return figures


def smallest_group_told(orders: list[Order], shown: set[str]) -> int | None:
    """The fewest co-ops (one or two) some signed combination of the shown figures adds
    up, or None if none does."""
    figures = contributions(orders, shown)
    told = None
    for signs in itertools.product((-1, 0, 1), repeat=len(figures)):
        if not any(signs):
            continue
        combined = [
            sum(s * f[c] for s, f in zip(signs, figures, strict=True)) for c in range(len(orders))
        ]
        coops = sum(value != 0 for value in combined)
        if too_few(coops):
            told = coops if told is None else min(told, coops)
    return told


def shown_for(orders: list[Order]) -> set[str]:
    if too_few(len(orders)):
        return set()
    return shown_reasons(len(orders), sums(orders))


@st.composite
def orders(draw: st.DrawFn) -> Order:
    """A co-op's order: filled whole, or short for a reason (often with nothing filled)."""
    firm = draw(st.integers(1, 50))
    reason = draw(st.sampled_from(("", *REASONS[:3])))
    if not reason:
        return Order(firm, firm, "")
    filled = draw(st.one_of(st.just(0), st.integers(0, firm - 1)))
    return Order(firm, filled, reason)


@settings(max_examples=400)
@given(st.lists(orders(), min_size=1, max_size=9))
def test_no_combination_of_the_figures_shown_tells_one_or_two_coops_orders(
    product_orders: list[Order],
) -> None:
    shown = shown_for(product_orders)
    if too_few(len(product_orders)):
        assert shown == set()  # and the product's own figures are not shown either
        return
    assert smallest_group_told(product_orders, shown) is None, shown


@pytest.mark.parametrize(
    ("orders", "shown"),
    [
        # five co-ops, four of them priced out with nothing: the total less that would
        # be the fifth co-op's order
        (
            [Order(10, 10, "")] + [Order(5, 0, "price_above_max")] * 4,
            set(),
        ),
        # the same with three of them partly filled: shown
        (
            [Order(10, 10, "")] + [Order(5, 2, "pack_not_completed")] * 4,
            {"pack_not_completed"},
        ),
        # three co-ops with no offer at all: the whole is no one's
        ([Order(4, 0, "no_offer")] * 3, {"no_offer"}),
        # two reasons of three co-ops each, three filled whole: both shown
        (
            [Order(6, 6, "")] * 3
            + [Order(5, 0, "no_offer")] * 3
            + [Order(7, 0, "price_above_max")] * 3,
            {"no_offer", "price_above_max"},
        ),
        # one reason of two co-ops: never
        ([Order(6, 6, "")] * 3 + [Order(5, 0, "no_offer")] * 2, set()),
    ],
)
def test_examples(orders: list[Order], shown: set[str]) -> None:
    assert shown_for(orders) == shown
    assert smallest_group_told(orders, shown) is None


def test_the_minimum_is_three() -> None:
    assert MINIMUM_COOPS == 3
    assert [too_few(n) for n in range(5)] == [False, True, True, False, False]
