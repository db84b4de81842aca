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
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from uuid import UUID

from services.matcher.engine.fair import nested_pro_rata
from services.matcher.engine.model import (
    Allocation,
    AllocationProblem,
    AllocationResult,
    DemandLine,
    Offer,
    Purchase,
    Reason,
    Shortfall,
    Summary,
    Temperature,
)

Transport = dict[tuple[UUID, UUID], int]  # (producer, co-op) → öre per kg


def allocate(problem: AllocationProblem) -> AllocationResult:
    transport = {(t.producer_id, t.coop_id): t.ore_per_kg for t in problem.transport}
    offers_by_product: dict[UUID, list[Offer]] = defaultdict(list)
    for offer in sorted(problem.offers, key=lambda o: o.id):
        offers_by_product[offer.product_id].append(offer)
    groups: dict[tuple[UUID, Temperature], list[DemandLine]] = defaultdict(list)
    for line in sorted(problem.lines, key=lambda line: line.id):
        groups[(line.product_id, line.temperature)].append(line)

    outcome = _Outcome()
    for (product_id, temperature), lines in sorted(groups.items()):
        group = _Group(
            lines,
            offers_by_product.get(product_id, []),
            temperature,
            problem,
            transport,
        )
        group.solve(outcome)
    return outcome.result(problem, transport)


@dataclass
class _Outcome:
    flows: dict[tuple[UUID, UUID], int] = field(default_factory=dict)  # (offer, line) → units
    tolerance: dict[tuple[UUID, UUID], int] = field(default_factory=dict)
    packs: dict[UUID, int] = field(default_factory=dict)
    shortfalls: list[Shortfall] = field(default_factory=list)

    def result(self, problem: AllocationProblem, transport: Transport) -> AllocationResult:
        offers = {offer.id: offer for offer in problem.offers}
        lines = {line.id: line for line in problem.lines}
        purchases = [
            Purchase(
                offer_id=offer_id,
                packs=packs,
                pack_units=offers[offer_id].pack_units,
                price_per_pack_ore=offers[offer_id].price_per_pack_ore,
            )
            for offer_id, packs in sorted(self.packs.items())
            if packs > 0
        ]
        allocations = [
            Allocation(
                offer_id=offer_id,
                line_id=line_id,
                units=units,
                tolerance_units=self.tolerance.get((offer_id, line_id), 0),
            )
            for (offer_id, line_id), units in sorted(self.flows.items())
            if units > 0
        ]
        got: dict[UUID, int] = defaultdict(int)
        carried_milli = 0
        for item in allocations:
            got[item.line_id] += item.units
            offer, line = offers[item.offer_id], lines[item.line_id]
            rate = transport.get((offer.producer_id, line.coop_id), 0)
            carried_milli += item.units * offer.grams_per_unit * rate
        firm_filled = sum(min(got[line.id], line.firm_quantity) for line in problem.lines)
        shortfalls = sorted(self.shortfalls, key=lambda s: s.line_id)
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
            ),
        )


class _Group:
    """The lines of one product and temperature class, and the offers they may use."""

    def __init__(
        self,
        lines: list[DemandLine],
        listed: list[Offer],
        temperature: Temperature,
        problem: AllocationProblem,
        transport: Transport,
    ) -> None:
        self.lines = lines
        self.listed = listed
        self.date = problem.delivery_date
        self.transport = transport
        self.dated = [o for o in listed if o.valid_from <= self.date <= o.valid_until]
        fitting = [o for o in self.dated if o.temperature == temperature]
        usable = [o for o in fitting if o.packs_available > 0 and o.pack_units > 0]
        # price order makes every line's eligible offers a prefix of this list
        self.offers = sorted(
            usable, key=lambda o: (Fraction(o.price_per_pack_ore, o.pack_units), o.id)
        )
        self.fitting = fitting
        self.prefix = {line.id: self._eligible_count(line) for line in lines}
        self.position = {offer.id: index for index, offer in enumerate(self.offers)}

    def _eligible_count(self, line: DemandLine) -> int:
        if line.max_unit_price_ore is None:
            return len(self.offers)
        limit = line.max_unit_price_ore
        return sum(1 for o in self.offers if o.price_per_pack_ore <= limit * o.pack_units)

    def landed_milli(self, offer: Offer, line: DemandLine) -> int:
        """Price plus carriage of one unit from the offer's producer to the line's co-op."""
        carriage = self.transport.get((offer.producer_id, line.coop_id), 0)
        return offer.price_per_pack_ore * 1000 // offer.pack_units + carriage * offer.grams_per_unit

    def solve(self, outcome: _Outcome) -> None:
        caps = {o.id: o.pack_units * o.packs_available for o in self.offers}
        first_short: set[UUID] | None = None
        while True:
            targets, short = self._targets(caps)
            first_short = short if first_short is None else first_short
            amounts = self._amounts(targets, caps)
            flows = self._flows(amounts, targets)
            extras, failed = self._complete_packs(amounts, flows, targets)
            if not failed:
                break
            for offer in failed:
                caps[offer.id] = offer.pack_units * (amounts[offer.id] // offer.pack_units)
        for (offer_id, line_id), units in extras.items():
            flows[(offer_id, line_id)] = flows.get((offer_id, line_id), 0) + units
            outcome.tolerance[(offer_id, line_id)] = units
        outcome.flows.update(flows)
        for offer in self.offers:
            total = amounts[offer.id] + sum(u for (o, _), u in extras.items() if o == offer.id)
            outcome.packs[offer.id] = total // offer.pack_units
        outcome.shortfalls.extend(self._shortfalls(targets, first_short, caps, flows))

    def _targets(self, caps: dict[UUID, int]) -> tuple[dict[UUID, int], set[UUID]]:
        supply_by_prefix = [0]
        for offer in self.offers:
            supply_by_prefix.append(supply_by_prefix[-1] + caps[offer.id])
        demand = [
            (line.id, self.prefix[line.id], line.firm_quantity)
            for line in self.lines
            if self.prefix[line.id] > 0
        ]
        return nested_pro_rata(supply_by_prefix, demand)

    def _amounts(self, targets: dict[UUID, int], caps: dict[UUID, int]) -> dict[UUID, int]:
        """Units bought per offer: each price class, cheapest first, takes the lowest
        landed cost it may use, so partly used packs gather on few offers."""
        left = dict(caps)
        amounts = dict.fromkeys(caps, 0)
        for k, lines in self._classes():
            wanted = sum(targets.get(line.id, 0) for line in lines)
            for offer in self._by_landed_cost(self.offers[:k], lines):
                take = min(wanted, left[offer.id])
                amounts[offer.id] += take
                left[offer.id] -= take
                wanted -= take
                if wanted == 0:
                    break
        return amounts

    def _flows(
        self, amounts: dict[UUID, int], targets: dict[UUID, int]
    ) -> dict[tuple[UUID, UUID], int]:
        """Units per (offer, line): lines of the narrowest price class first, each
        taking its cheapest landed pairs among the units bought."""
        left = dict(amounts)
        flows: dict[tuple[UUID, UUID], int] = {}
        for k, lines in self._classes():
            for line in lines:
                wanted = targets.get(line.id, 0)
                eligible = sorted(self.offers[:k], key=lambda o: (self.landed_milli(o, line), o.id))
                for offer in eligible:
                    take = min(wanted, left[offer.id])
                    if take:
                        flows[(offer.id, line.id)] = take
                        left[offer.id] -= take
                        wanted -= take
                    if wanted == 0:
                        break
        return flows

    def _complete_packs(
        self,
        amounts: dict[UUID, int],
        flows: dict[tuple[UUID, UUID], int],
        targets: dict[UUID, int],
    ) -> tuple[dict[tuple[UUID, UUID], int], list[Offer]]:
        """Tolerance units that complete part-used packs, and the offers they can't."""
        room = {
            line.id: line.tolerance
            for line in self.lines
            if targets.get(line.id, 0) == line.firm_quantity
        }
        extras: dict[tuple[UUID, UUID], int] = {}
        failed: list[Offer] = []
        for offer in self.offers:
            missing = -amounts[offer.id] % offer.pack_units
            if missing == 0:
                continue
            takers = sorted(
                (
                    line
                    for line in self.lines
                    if self.prefix[line.id] > self.position[offer.id] and room.get(line.id, 0)
                ),
                key=lambda line: (self.landed_milli(offer, line), line.id),
            )
            if sum(room[line.id] for line in takers) < missing:
                failed.append(offer)
                continue
            for line in takers:
                give = min(missing, room[line.id])
                extras[(offer.id, line.id)] = give
                room[line.id] -= give
                missing -= give
                if missing == 0:
                    break
        return extras, failed

    def _classes(self) -> Iterable[tuple[int, list[DemandLine]]]:
        by_prefix: dict[int, list[DemandLine]] = defaultdict(list)
        for line in self.lines:
            if self.prefix[line.id] > 0:
                by_prefix[self.prefix[line.id]].append(line)
        return sorted(by_prefix.items(), key=lambda item: item[0])

    def _by_landed_cost(self, offers: list[Offer], lines: list[DemandLine]) -> list[Offer]:
        weight = sum(line.firm_quantity for line in lines) or 1

        def mean_landed(offer: Offer) -> int:
            total = sum(self.landed_milli(offer, line) * line.firm_quantity for line in lines)
            return total // weight

        return sorted(offers, key=lambda o: (mean_landed(o), o.id))

    def _shortfalls(
        self,
        targets: dict[UUID, int],
        supply_short: set[UUID],
        caps: dict[UUID, int],
        flows: dict[tuple[UUID, UUID], int],
    ) -> list[Shortfall]:
        got: dict[UUID, int] = defaultdict(int)
        for (_, line_id), units in flows.items():
            got[line_id] += units
        shortfalls = []
        for line in self.lines:
            short = line.firm_quantity - min(got[line.id], line.firm_quantity)
            if short > 0:
                shortfalls.append(self._why(line, short, got, supply_short, caps))
        return shortfalls

    def _why(
        self,
        line: DemandLine,
        short: int,
        got: dict[UUID, int],
        supply_short: set[UUID],
        caps: dict[UUID, int],
    ) -> Shortfall:
        def because(reason: Reason, **detail: int | None) -> Shortfall:
            return Shortfall(line_id=line.id, units_short=short, reason=reason, **detail)

        if not self.listed:
            return because("no_offer")
        if not self.dated:
            return because("validity")
        if not self.fitting:
            return because("temperature")
        if not self.offers:
            return because("supply_short", pro_rata_permille=0)
        if self.prefix[line.id] == 0:
            cheapest = min(-(-o.price_per_pack_ore // o.pack_units) for o in self.offers)
            return because("price_above_max", cheapest_unit_price_ore=cheapest)
        if line.id in supply_short:
            return because(
                "supply_short", pro_rata_permille=got[line.id] * 1000 // line.firm_quantity
            )
        need = self._to_next_pack(line, caps, got)
        return because("pack_not_completed", units_to_next_pack=need)

    def _to_next_pack(self, line: DemandLine, caps: dict[UUID, int], got: dict[UUID, int]) -> int:
        """How many more units (firm or tolerance) the network would have to order
        for one more pack of an offer this line may use that has packs left."""
        needs = []
        for offer in self.offers[: self.prefix[line.id]]:
            if caps[offer.id] >= offer.pack_units * offer.packs_available:
                continue
            position = self.position[offer.id]
            open_units = sum(
                other.firm_quantity + other.tolerance - got[other.id]
                for other in self.lines
                if self.prefix[other.id] > position
            )
            needs.append(max(1, offer.pack_units - open_units))
        return min(needs, default=1)
