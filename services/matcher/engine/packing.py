"""Buying whole packs for one product and temperature class, and splitting them.

See ``allocate`` for the steps; this module holds the planning of one group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any
from uuid import UUID

from services.matcher.engine.fair import nested_pro_rata
from services.matcher.engine.model import (
    AllocationProblem,
    DemandLine,
    Offer,
    PinError,
    Shortfall,
    Temperature,
)
from services.matcher.engine.reasons import shortfalls

Transport = dict[tuple[UUID, UUID], int]  # (producer, co-op) → öre per kg


@dataclass
class Solved:
    """One group's part of the result."""

    flows: dict[tuple[UUID, UUID], int] = field(default_factory=dict)  # (offer, line) → units
    tolerance: dict[tuple[UUID, UUID], int] = field(default_factory=dict)
    packs: dict[UUID, int] = field(default_factory=dict)
    shortfalls: list[Shortfall] = field(default_factory=list)


IMPROVEMENT_TRIES = 3


@dataclass
class Plan:
    """One way to buy and split a group's packs, with its firm fill and landed cost."""

    caps: dict[UUID, int]
    targets: dict[UUID, int]
    amounts: dict[UUID, int]  # firm units per offer
    flows: dict[tuple[UUID, UUID], int]  # firm units per (offer, line)
    extras: dict[tuple[UUID, UUID], int]  # tolerance units per (offer, line)
    bought: dict[UUID, int]  # all units per offer: whole packs
    fill: int
    cost: int  # milli-öre: packs times price plus carriage


class ProductGroup:
    """The lines of one product and temperature class, and the offers they may use."""

    def __init__(
        self,
        lines: list[DemandLine],
        listed: list[Offer],
        temperature: Temperature,
        problem: AllocationProblem,
        transport: Transport,
        pinned: dict[UUID, int] | None = None,
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
        self.unit_milli = {o.id: o.price_per_pack_ore * 1000 // o.pack_units for o in self.offers}
        self.pack_units = {o.id: o.pack_units for o in self.offers}
        self.by_id = {o.id: o for o in self.offers}
        # units pinned by the coordinator, and what is left of the last pack they start
        self.offset = {o.id: (pinned or {}).get(o.id, 0) for o in self.offers}
        self.remnant = {o.id: -self.offset[o.id] % o.pack_units for o in self.offers}
        self.coop_of = {line.id: line.coop_id for line in lines}
        # landed cost per offer and co-op, computed once: the hot loops index lists
        coops = sorted({line.coop_id for line in lines})
        self.coop_index = {coop_id: index for index, coop_id in enumerate(coops)}
        self.landed_table = {
            o.id: [
                self.unit_milli[o.id] + transport.get((o.producer_id, c), 0) * o.grams_per_unit
                for c in coops
            ]
            for o in self.offers
        }

    def _eligible_count(self, line: DemandLine) -> int:
        if line.max_unit_price_ore is None:
            return len(self.offers)
        limit = line.max_unit_price_ore
        return sum(1 for o in self.offers if o.price_per_pack_ore <= limit * o.pack_units)

    def landed(self, offer: Offer, coop_id: UUID) -> int:
        """Price plus carriage of one unit from the offer's producer to a co-op, in
        thousandths of an öre (öre per kg times grams)."""
        return self.landed_table[offer.id][self.coop_index[coop_id]]

    def solve(self) -> Solved:
        """The group's purchases, allocations and shortfalls."""
        caps = {o.id: self.full_cap(o) for o in self.offers}
        first_short: set[UUID] = self._targets(caps)[1]  # short before any pack is capped
        plan = self._plan(caps)
        # Rule 6: a pack completed with many tolerance units costs more than needed.
        # Either its odd units are cheaper elsewhere (cap it), or its spare units can
        # replace whole packs of a dearer offer (cap that one). Keep what fills as
        # much and costs less.
        for trial_caps in self._cheaper_caps(plan, IMPROVEMENT_TRIES):
            try:
                trial = self._plan(trial_caps)
            except PinError:
                continue  # that cap would leave a pinned pack part-used
            if trial.fill >= plan.fill and trial.cost < plan.cost:
                plan = trial
        solved = Solved()
        for (offer_id, line_id), units in plan.extras.items():
            plan.flows[(offer_id, line_id)] = plan.flows.get((offer_id, line_id), 0) + units
            solved.tolerance[(offer_id, line_id)] = units
        solved.flows = plan.flows
        for offer in self.offers:
            solved.packs[offer.id] = plan.bought[offer.id] // offer.pack_units
        solved.shortfalls = shortfalls(self, plan.targets, first_short, plan.caps, plan.flows)
        return solved

    def full_cap(self, offer: Offer) -> int:
        """The units of an offer the engine may hand out: all but the pinned ones."""
        return offer.pack_units * offer.packs_available - self.offset[offer.id]

    def _whole(self, offer: Offer, units: int) -> int:
        """The most of ``units`` the engine can take from an offer in whole packs,
        counting the pinned units; negative when a pinned pack can't be completed."""
        pinned = self.offset[offer.id]
        return (units + pinned) // offer.pack_units * offer.pack_units - pinned

    def _plan(self, caps: dict[UUID, int]) -> Plan:
        """Targets, offers, pairs and pack completion, capping offers until every
        pack bought is whole."""
        caps = dict(caps)
        while True:
            targets, _ = self._targets(caps)
            amounts = self._amounts(targets, caps)
            flows = self._flows(amounts, targets)
            extras, failed = self._complete_packs(amounts, flows, targets, caps)
            if not failed:
                break
            for offer in failed:
                caps[offer.id] = self._whole(offer, amounts[offer.id])
                if caps[offer.id] < 0:
                    raise PinError(
                        f"offer {offer.id}: the pinned units leave part of a pack "
                        "that no other line can take"
                    )
        bought = {offer_id: units + self.offset[offer_id] for offer_id, units in amounts.items()}
        for (offer_id, _), units in extras.items():
            bought[offer_id] += units
        carriage = sum(
            units * (self.landed(self.by_id[o], self.coop_of[line]) - self.unit_milli[o])
            for (o, line), units in [*flows.items(), *extras.items()]
        )
        goods = sum(bought[o.id] // o.pack_units * o.price_per_pack_ore * 1000 for o in self.offers)
        return Plan(
            caps=caps,
            targets=targets,
            amounts=amounts,
            flows=flows,
            extras=extras,
            bought=bought,
            fill=sum(amounts.values()),
            cost=goods + carriage,
        )

    def _cheaper_caps(self, plan: Plan, limit: int) -> list[dict[UUID, int]]:
        """Caps to try, for the offers whose last pack took the most tolerance units."""
        spare: dict[UUID, int] = defaultdict(int)
        for (offer_id, _), units in plan.extras.items():
            spare[offer_id] += units
        trials = []
        for offer_id, units in sorted(spare.items(), key=lambda item: (-item[1], item[0]))[:limit]:
            whole = self._whole(self.by_id[offer_id], plan.amounts[offer_id])
            if whole >= 0:
                trials.append({**plan.caps, offer_id: whole})
            dearer = sorted(
                (o for o in self.offers if o.id != offer_id and o.pack_units <= units),
                key=lambda o: (-self.unit_milli[o.id], o.id),
            )
            for other in dearer:
                packs = min(units // other.pack_units, plan.amounts[other.id] // other.pack_units)
                if packs > 0:
                    dropped = plan.amounts[other.id] - packs * other.pack_units
                    trials.append({**plan.caps, other.id: dropped})
                    break
        return trials

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
            for offer in self.offers[:k]:  # a pinned pack is bought already: fill it first
                take = min(wanted, left[offer.id], self.remnant[offer.id] - amounts[offer.id])
                if take > 0:
                    amounts[offer.id] += take
                    left[offer.id] -= take
                    wanted -= take
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
        """Units per (offer, line): price classes narrowest first; within a class the
        cheapest landed (offer, co-op) pairs first, whichever co-op they belong to.

        Landed cost depends on the co-op, not the line, so the pairs are per co-op (far
        fewer than per line) and a co-op's units are then split among its lines.
        """
        left = dict(amounts)
        flows: dict[tuple[UUID, UUID], int] = {}
        for k, lines in self._classes():
            wanted: dict[int, int] = defaultdict(int)  # co-op index → units
            for line in lines:
                wanted[self.coop_index[line.coop_id]] += targets.get(line.id, 0)
            # ints, not UUIDs, in the hot loop: (landed, offer position, co-op index)
            rows = [
                (self.landed_table[o.id], position)
                for position, o in enumerate(self.offers[:k])
                if left[o.id]
            ]
            pairs = sorted(
                (row[coop], position, coop)
                for coop, units in wanted.items()
                if units
                for row, position in rows
            )
            received: dict[int, list[list[Any]]] = defaultdict(list)  # co-op → [offer, units]
            remaining = sum(wanted.values())
            for _, position, coop in pairs:
                offer_id = self.offers[position].id
                take = min(wanted[coop], left[offer_id])
                if take:
                    received[coop].append([offer_id, take])
                    left[offer_id] -= take
                    wanted[coop] -= take
                    remaining -= take
                    if remaining == 0:
                        break
            for line in lines:  # each co-op's lines, by id, take from what it received
                need = targets.get(line.id, 0)
                for batch in received[self.coop_index[line.coop_id]]:
                    take = min(need, batch[1])
                    if take:
                        flows[(batch[0], line.id)] = flows.get((batch[0], line.id), 0) + take
                        batch[1] -= take
                        need -= take
                    if need == 0:
                        break
        return flows

    def _complete_packs(
        self,
        amounts: dict[UUID, int],
        flows: dict[tuple[UUID, UUID], int],
        targets: dict[UUID, int],
        caps: dict[UUID, int],
    ) -> tuple[dict[tuple[UUID, UUID], int], list[Offer]]:
        """Tolerance units that complete part-used packs, and the offers to cap instead:
        those the tolerance can't complete, and those whose odd units cost less
        bought elsewhere than the tolerance units it would take (rule 6)."""
        room = {
            line.id: line.tolerance
            for line in self.lines
            if targets.get(line.id, 0) == line.firm_quantity
        }
        extras: dict[tuple[UUID, UUID], int] = {}
        failed: list[Offer] = []
        for offer in self.offers:
            missing = -(amounts[offer.id] + self.offset[offer.id]) % offer.pack_units
            if missing == 0:
                continue
            takers = sorted(
                (
                    line
                    for line in self.lines
                    if self.prefix[line.id] > self.position[offer.id] and room.get(line.id, 0)
                ),
                key=lambda line: (self.landed(offer, line.coop_id), line.id),
            )
            if sum(room[line.id] for line in takers) < missing or self._cheaper_elsewhere(
                offer, amounts, flows, caps
            ):
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

    def _cheaper_elsewhere(
        self,
        offer: Offer,
        amounts: dict[UUID, int],
        flows: dict[tuple[UUID, UUID], int],
        caps: dict[UUID, int],
    ) -> bool:
        """Would moving the odd units of ``offer`` to another offer every line it serves
        may use cost less than completing its pack from tolerance?"""
        odd = (amounts[offer.id] + self.offset[offer.id]) % offer.pack_units
        if self._whole(offer, amounts[offer.id]) < 0:
            return False  # its odd units complete a pinned pack: capping can't help
        complete = (offer.pack_units - odd) * self.unit_milli[offer.id]
        served = [line_id for (offer_id, line_id), units in flows.items() if offer_id == offer.id]
        reach = min((self.prefix[line_id] for line_id in served), default=0)
        for other in self.offers[:reach]:
            spare = caps[other.id] - amounts[other.id]
            if other.id == offer.id or spare < odd:
                continue
            held = amounts[other.id] + self.offset[other.id]
            before = -held % other.pack_units
            after = -(held + odd) % other.pack_units
            move = odd * (self.unit_milli[other.id] - self.unit_milli[offer.id])
            move += (after - before) * self.unit_milli[other.id]
            if move < complete:
                return True
        return False

    def _classes(self) -> Iterable[tuple[int, list[DemandLine]]]:
        by_prefix: dict[int, list[DemandLine]] = defaultdict(list)
        for line in self.lines:
            if self.prefix[line.id] > 0:
                by_prefix[self.prefix[line.id]].append(line)
        return sorted(by_prefix.items(), key=lambda item: item[0])

    def _by_landed_cost(self, offers: list[Offer], lines: list[DemandLine]) -> list[Offer]:
        """Offers by their landed cost averaged over the lines' co-ops, weighted by demand."""
        weights: dict[int, int] = defaultdict(int)
        for line in lines:
            weights[self.coop_index[line.coop_id]] += line.firm_quantity
        total = sum(weights.values()) or 1
        spread = list(weights.items())

        def mean_landed(offer: Offer) -> int:
            row = self.landed_table[offer.id]
            return sum(row[index] * weight for index, weight in spread) // total

        return sorted(offers, key=lambda o: (mean_landed(o), o.id))
