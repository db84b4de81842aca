"""What co-ops get without pooling: each orders alone, first come, first served.

As Foodsoft and similar tools work: a co-op buys a pack only when its own order
(with its own tolerance) fills it, lines are served in the order they came in, and
a pack goes to one co-op whole. Same eligibility as the engine (product,
temperature, validity, max price), and the lowest landed cost first.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.matcher.engine import AllocationProblem


@dataclass(frozen=True)
class Baseline:
    firm_units_filled: int
    coops_served: int
    packs_bought: int


def order_alone(problem: AllocationProblem) -> Baseline:
    transport = {(t.producer_id, t.coop_id): t.ore_per_kg for t in problem.transport}
    left = {
        o.id: o.packs_available
        for o in problem.offers
        if o.valid_from <= problem.delivery_date <= o.valid_until
    }
    offers = [o for o in problem.offers if o.id in left]
    filled = packs_bought = 0
    served = set()
    for line in problem.lines:  # in the order they came in
        eligible = sorted(
            (
                o
                for o in offers
                if o.product_id == line.product_id
                and o.temperature == line.temperature
                and (
                    line.max_unit_price_ore is None
                    or o.price_per_pack_ore <= line.max_unit_price_ore * o.pack_units
                )
            ),
            key=lambda o: (
                o.price_per_pack_ore * 1000 // o.pack_units
                + transport.get((o.producer_id, line.coop_id), 0) * o.grams_per_unit,
                o.id,
            ),
        )
        got = 0
        for offer in eligible:
            # whole packs while the line still needs firm units and q + t allows
            while (
                left[offer.id]
                and got < line.firm_quantity
                and got + offer.pack_units <= line.firm_quantity + line.tolerance
            ):
                left[offer.id] -= 1
                packs_bought += 1
                got += offer.pack_units
        filled += min(got, line.firm_quantity)
        if got:
            served.add(line.coop_id)
    return Baseline(filled, len(served), packs_bought)
