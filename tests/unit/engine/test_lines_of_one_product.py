"""A co-op's several lines of one product: each is matched on its own terms, and short
supply is shared between lines, not between co-ops."""

from __future__ import annotations

import datetime as dt
import uuid

from services.matcher.engine import AllocationProblem, DemandLine, Offer, allocate
from tests.unit.engine.checker import broken_rules

DAY = dt.date(2026, 12, 3)
CARROTS = uuid.UUID(int=1)
LUTHAGEN, GOTTSUNDA = uuid.UUID(int=30), uuid.UUID(int=31)


def _offer(packs: int, price_per_pack_ore: int) -> Offer:
    return Offer(
        id=uuid.UUID(int=100),
        producer_id=uuid.UUID(int=10),
        product_id=CARROTS,
        pack_units=5,
        packs_available=packs,
        price_per_pack_ore=price_per_pack_ore,
        valid_from=DAY,
        valid_until=DAY,
        grams_per_unit=1000,
    )


def _line(n: int, coop: uuid.UUID, firm: int, limit: int | None = None) -> DemandLine:
    return DemandLine(
        id=uuid.UUID(int=200 + n),
        coop_id=coop,
        product_id=CARROTS,
        firm_quantity=firm,
        max_unit_price_ore=limit,
    )


def _units(problem: AllocationProblem) -> dict[int, int]:
    result = allocate(problem)
    assert broken_rules(problem, result) == []
    got: dict[int, int] = {}
    for item in result.allocations:
        got[item.line_id.int - 200] = got.get(item.line_id.int - 200, 0) + item.units
    return got


def test_ten_kilos_at_any_price_and_five_more_only_below_twenty_kronor() -> None:
    lines = [_line(1, LUTHAGEN, 10), _line(2, LUTHAGEN, 5, limit=2000)]
    dear = AllocationProblem(delivery_date=DAY, offers=[_offer(4, 12_500)], lines=lines)
    assert _units(dear) == {1: 10}  # 25 kr/kg: the second line is priced out
    cheap = AllocationProblem(delivery_date=DAY, offers=[_offer(4, 7_500)], lines=lines)
    assert _units(cheap) == {1: 10, 2: 5}  # 15 kr/kg: both


def test_short_supply_is_shared_by_line_whoever_holds_them() -> None:
    """Three 10-unit lines, two of one co-op, for 15 units: 5 each."""
    lines = [_line(1, LUTHAGEN, 10), _line(2, LUTHAGEN, 10), _line(3, GOTTSUNDA, 10)]
    problem = AllocationProblem(delivery_date=DAY, offers=[_offer(3, 7_500)], lines=lines)
    assert _units(problem) == {1: 5, 2: 5, 3: 5}
