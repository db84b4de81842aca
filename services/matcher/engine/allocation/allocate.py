"""Stage 1: pool the co-ops' demand into whole producer packs and split them fairly.

Pure and deterministic: the same problem gives the same result, whatever the order of
its lists. The rules, their priority and worked examples are in docs/matching.md.

Lines are matched per (product, temperature class). Within such a group an offer is
eligible for a line when its unit price is at most the line's maximum, so sorting
offers by unit price makes each line's eligible offers a prefix of one list. That
nesting is what lets a greedy pass be both fill-maximal and pro-rata fair:

1. firm targets per line from the supply each prefix can reach (``nested_pro_rata``);
2. units per offer, each line's class taking the lowest landed cost it may use;
3. units per (offer, line), lines taking their cheapest landed pairs;
4. an offer used for part of a pack is completed from tolerance if the lines it
   serves have room, else capped at its whole packs and everything is redone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from uuid import UUID

from services.matcher.engine.allocation.group import index_group
from services.matcher.engine.allocation.landed import Rates
from services.matcher.engine.allocation.model import (
    Allocation,
    AllocationProblem,
    AllocationResult,
    DemandLine,
    Offer,
    Purchase,
    Summary,
    Temperature,
    UnprovenGroup,
)
from services.matcher.engine.allocation.packing import Solved, solve_group
from services.matcher.engine.allocation.pins import Pinned, apply_pins


def allocate(problem: AllocationProblem) -> AllocationResult:
    """Raises ``PinError`` when the problem's pins can't be honoured."""
    rates = Rates(problem.transport)
    pinned = apply_pins(problem, rates)
    # UUIDs order by their ``int``; comparing the ints skips UUID.__lt__'s Python code
    offers_by_id = sorted(problem.offers, key=lambda o: o.id.int)
    lines_by_id = sorted(pinned.lines, key=lambda line: line.id.int)
    offers_by_product: dict[UUID, list[Offer]] = defaultdict(list)
    for offer in offers_by_id:
        offers_by_product[offer.product_id].append(offer)
    groups: dict[tuple[UUID, Temperature], list[DemandLine]] = defaultdict(list)
    for line in lines_by_id:
        groups[(line.product_id, line.temperature)].append(line)

    outcome = _Outcome(product_groups=len(groups))
    for (product_id, temperature), lines in sorted(groups.items()):
        group = index_group(
            lines,
            offers_by_product.get(product_id, []),
            temperature,
            problem.delivery_date,
            rates,
            pinned.units_by_offer,
        )
        solved = solve_group(group)
        outcome.add(solved)
        if solved.unproven is not None:
            outcome.unproven_groups.append(
                UnprovenGroup(product_id=product_id, temperature=temperature, why=solved.unproven)
            )
    outcome.add_pins(pinned)
    return outcome.result(problem, rates, offers_by_id, lines_by_id)


@dataclass
class _Outcome(Solved):
    """Every group's part, gathered into one result."""

    product_groups: int = 0
    unproven_groups: list[UnprovenGroup] = field(default_factory=list)

    def add(self, solved: Solved) -> None:
        self.flows.update(solved.flows)
        self.tolerance.update(solved.tolerance)
        self.packs.update(solved.packs)
        self.shortfalls.extend(solved.shortfalls)

    def add_pins(self, pinned: Pinned) -> None:
        for key, units in pinned.flows.items():
            self.flows[key] = self.flows.get(key, 0) + units
        for key, units in pinned.tolerance.items():
            self.tolerance[key] = self.tolerance.get(key, 0) + units

    def result(
        self,
        problem: AllocationProblem,
        rates: Rates,
        offers_by_id: list[Offer],
        lines_by_id: list[DemandLine],
    ) -> AllocationResult:
        offers = {offer.id: offer for offer in problem.offers}
        lines = {line.id: line for line in problem.lines}
        # Output is in id order. Comparing UUIDs runs Python code, so the ids' ranks
        # in the orders sorted already are compared instead: the same order. A pair's
        # ranks go into one int (offer rank, then line rank), cheaper to compare than
        # a tuple.
        offer_rank = {offer.id: rank for rank, offer in enumerate(offers_by_id)}
        line_rank = {line.id: rank for rank, line in enumerate(lines_by_id)}
        line_count = len(lines_by_id)
        purchases = [
            Purchase(
                offer_id=offer_id,
                packs=packs,
                pack_units=offers[offer_id].pack_units,
                price_per_pack_ore=offers[offer_id].price_per_pack_ore,
            )
            for offer_id, packs in sorted(self.packs.items(), key=lambda item: offer_rank[item[0]])
            if packs > 0
        ]
        allocations = [
            Allocation(
                offer_id=offer_id,
                line_id=line_id,
                units=units,
                tolerance_units=self.tolerance.get((offer_id, line_id), 0),
            )
            for (offer_id, line_id), units in sorted(
                self.flows.items(),
                key=lambda item: offer_rank[item[0][0]] * line_count + line_rank[item[0][1]],
            )
            if units > 0
        ]
        got: dict[UUID, int] = defaultdict(int)
        carried_milli = 0
        for item in allocations:
            got[item.line_id] += item.units
            offer, line = offers[item.offer_id], lines[item.line_id]
            rate = rates.rate(offer.producer_id, line.coop_id)
            carried_milli += item.units * offer.grams_per_unit * rate
        firm_filled = sum(min(got[line.id], line.firm_quantity) for line in problem.lines)
        shortfalls = sorted(self.shortfalls, key=lambda s: line_rank[s.line_id])
        return AllocationResult(
            purchases=purchases,
            allocations=allocations,
            shortfalls=shortfalls,
            summary=Summary(
                firm_units_demanded=sum(line.firm_quantity for line in problem.lines),
                firm_units_filled=firm_filled,
                tolerance_units=sum(item.tolerance_units for item in allocations),
                packs_bought=sum(p.packs for p in purchases),
                goods_cost_ore=sum(p.packs * p.price_per_pack_ore for p in purchases),
                transport_estimate_ore=carried_milli // 1000,
                lines_filled=len(problem.lines) - len(shortfalls),
                lines_short=len(shortfalls),
                product_groups=self.product_groups,
                unproven_groups=self.unproven_groups,
            ),
        )
