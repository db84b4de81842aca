"""Buying whole packs for one product and temperature class, and splitting them.

See ``allocate`` for the steps; this module holds the planning of one group. Inside
it, offers are referred to by their position in the group's price order and lines by
their index in ``lines``: the loops run millions of times on a large network, and
hashing a UUID runs Python code where hashing an int does not.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from heapq import heapify, heappop, heappush
from itertools import compress
from uuid import UUID

from services.matcher.engine.allocation.completion import complete_packs
from services.matcher.engine.allocation.landed import LandedCosts, PriceClass, Rates, next_usable
from services.matcher.engine.allocation.model import (
    AllocationProblem,
    DemandLine,
    Offer,
    Shortfall,
    Temperature,
)
from services.matcher.engine.allocation.reasons import shortfalls
from services.matcher.engine.common.fair import nested_pro_rata
from services.matcher.engine.common.integers import ceil_div

Pairs = dict[tuple[int, int], int]  # (offer position, line index) → units


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
    targets: dict[int, int]  # firm units per line index
    amounts: dict[UUID, int]  # firm units per offer
    flows: Pairs  # firm units
    extras: Pairs  # tolerance units
    bought: dict[UUID, int]  # all units per offer: whole packs
    fill: int
    cost: int  # milli-öre: packs times price plus carriage


class ProductGroup:
    """The lines of one product and temperature class, and the offers they may use.

    Firm quantities are never negative (the schema wants them positive, pins leave at
    least zero); the walks in ``landed`` rely on it.
    """

    def __init__(
        self,
        lines: list[DemandLine],
        listed: list[Offer],
        temperature: Temperature,
        problem: AllocationProblem,
        rates: Rates,
        pinned: dict[UUID, int] | None = None,
    ) -> None:
        self.lines = lines
        self.listed = listed
        self.date = problem.delivery_date
        self.dated = [o for o in listed if o.valid_from <= self.date <= o.valid_until]
        fitting = [o for o in self.dated if o.temperature == temperature]
        usable = [o for o in fitting if o.packs_available > 0 and o.pack_units > 0]
        # price order makes every line's eligible offers a prefix of this list
        self.offers = sorted(
            usable, key=lambda o: (Fraction(o.price_per_pack_ore, o.pack_units), o.id)
        )
        self.fitting = fitting
        # a line's maximum is whole öre, so an offer is within it exactly when its
        # unit price rounded up is; those round-ups are in price order too
        whole_ore = [ceil_div(o.price_per_pack_ore, o.pack_units) for o in self.offers]
        self.line_prefix = [self._eligible_count(line, whole_ore) for line in lines]
        self.prefix = {line.id: k for line, k in zip(lines, self.line_prefix, strict=True)}
        self.ids = [o.id for o in self.offers]
        self.unit_milli = {o.id: o.price_per_pack_ore * 1000 // o.pack_units for o in self.offers}
        self.unit_milli_at = [self.unit_milli[offer_id] for offer_id in self.ids]
        self.by_id = {o.id: o for o in self.offers}
        # units pinned by the coordinator: whole packs (pins.py completes the last one)
        self.offset = {o.id: (pinned or {}).get(o.id, 0) for o in self.offers}
        coops = sorted({line.coop_id for line in lines})
        coop_index = {coop_id: index for index, coop_id in enumerate(coops)}
        self.line_coop = [coop_index[line.coop_id] for line in lines]
        self.coop_lines: list[list[int]] = [[] for _ in coops]  # line indices per co-op
        for index, coop in enumerate(self.line_coop):
            self.coop_lines[coop].append(index)
        self.landed = LandedCosts(self.offers, self.unit_milli_at, coops, rates)
        self.classes = self._classes()
        self.demand = [
            (index, k, line.firm_quantity)
            for index, (line, k) in enumerate(zip(lines, self.line_prefix, strict=True))
            if k > 0
        ]

    def _eligible_count(self, line: DemandLine, whole_ore: list[int]) -> int:
        if line.max_unit_price_ore is None:
            return len(self.offers)
        return bisect_right(whole_ore, line.max_unit_price_ore)

    def solve(self) -> Solved:
        """The group's purchases, allocations and shortfalls."""
        caps = {o.id: self.full_cap(o) for o in self.offers}
        first_short = self._targets(caps)[1]  # short before any pack is capped
        plan = self._plan(caps)
        # Rule 6: a pack completed with many tolerance units costs more than needed.
        # Either its odd units are cheaper elsewhere (cap it), or its spare units can
        # replace whole packs of a dearer offer (cap that one). Keep what fills as
        # much and costs less.
        for trial_caps in self._cheaper_caps(plan, IMPROVEMENT_TRIES):
            trial = self._plan(trial_caps)
            if trial.fill >= plan.fill and trial.cost < plan.cost:
                plan = trial
        solved = Solved()
        for (position, index), units in plan.extras.items():
            plan.flows[(position, index)] = plan.flows.get((position, index), 0) + units
            solved.tolerance[(self.ids[position], self.lines[index].id)] = units
        solved.flows = {
            (self.ids[position], self.lines[index].id): units
            for (position, index), units in plan.flows.items()
        }
        for offer in self.offers:
            solved.packs[offer.id] = plan.bought[offer.id] // offer.pack_units
        short = {self.lines[index].id for index in first_short}
        solved.shortfalls = shortfalls(self, short, plan.caps, solved.flows)
        return solved

    def full_cap(self, offer: Offer) -> int:
        """The units of an offer the engine may hand out: all but the pinned ones."""
        return offer.pack_units * offer.packs_available - self.offset[offer.id]

    def whole(self, offer: Offer, units: int) -> int:
        """The most of ``units`` the engine can take from an offer in whole packs,
        counting the pinned units (themselves whole packs)."""
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
            extras, failed = complete_packs(self, amounts, flows, targets, caps)
            if not failed:
                break
            for offer in failed:
                caps[offer.id] = self.whole(offer, amounts[offer.id])
        bought = {offer_id: units + self.offset[offer_id] for offer_id, units in amounts.items()}
        for (position, _), units in extras.items():
            bought[self.ids[position]] += units
        rows = self.landed.rows
        carriage = sum(
            units * (rows[position][self.line_coop[index]] - self.unit_milli_at[position])
            for (position, index), units in [*flows.items(), *extras.items()]
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
        for (position, _), units in plan.extras.items():
            spare[self.ids[position]] += units
        trials = []
        for offer_id, units in sorted(spare.items(), key=lambda item: (-item[1], item[0]))[:limit]:
            whole = self.whole(self.by_id[offer_id], plan.amounts[offer_id])
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

    def _targets(self, caps: dict[UUID, int]) -> tuple[dict[int, int], set[int]]:
        """Firm units per line index, and the lines short of supply."""
        supply_by_prefix = [0]
        for offer_id in self.ids:
            supply_by_prefix.append(supply_by_prefix[-1] + caps[offer_id])
        return nested_pro_rata(supply_by_prefix, self.demand)

    def _amounts(self, targets: dict[int, int], caps: dict[UUID, int]) -> dict[UUID, int]:
        """Units bought per offer: each price class, cheapest first, takes the lowest
        landed cost it may use, so partly used packs gather on few offers."""
        left = [caps[offer_id] for offer_id in self.ids]
        amounts = [0] * len(self.ids)
        by_floor = list(self.landed.by_floor)
        for price_class in self.classes:
            wanted = sum(targets.get(index, 0) for index in price_class.members)
            if wanted == 0:
                continue
            for position in self.landed.by_mean(price_class, left, by_floor, self.ids):
                take = min(wanted, left[position])
                amounts[position] += take
                left[position] -= take
                wanted -= take
                if wanted == 0:
                    break
        return dict(zip(self.ids, amounts, strict=True))

    def _flows(self, amounts: dict[UUID, int], targets: dict[int, int]) -> Pairs:
        """Units per (offer, line): price classes narrowest first; within a class the
        cheapest landed (offer, co-op) pairs first, whichever co-op they belong to.

        Landed cost depends on the co-op, not the line, so the pairs are per co-op (far
        fewer than per line) and a co-op's units are then split among its lines.
        """
        left = [amounts[offer_id] for offer_id in self.ids]
        orders: dict[int, list[int]] = {}  # this call's copies: exhausted offers drop out
        flows: Pairs = {}
        for price_class in self.classes:
            wanted: dict[int, int] = defaultdict(int)  # co-op index → units
            for index in price_class.members:
                wanted[self.line_coop[index]] += targets.get(index, 0)
            received = self._receive(price_class.k, wanted, left, orders)
            for index in price_class.members:  # each co-op's lines, by id, take what it got
                need = targets.get(index, 0)
                for batch in received[self.line_coop[index]]:
                    take = min(need, batch[1])
                    if take:
                        key = (batch[0], index)
                        flows[key] = flows.get(key, 0) + take
                        batch[1] -= take
                        need -= take
                    if need == 0:
                        break
        return flows

    def _receive(
        self, k: int, wanted: dict[int, int], left: list[int], orders: dict[int, list[int]]
    ) -> dict[int, list[list[int]]]:
        """[offer position, units] per co-op: the (offer, co-op) pairs of the first
        ``k`` offers by (landed cost, offer position, co-op), each taking what it can.

        A merge of each co-op's offers in landed order: the same sequence as sorting
        every pair, but it stops looking at a co-op once it has what it wants.
        """
        columns = self.landed.columns
        upcoming: list[tuple[int, int, int, int]] = []  # (landed, position, co-op, index)
        for coop, units in wanted.items():
            if units:
                if coop not in orders:
                    order = self.landed.order_for(coop)
                    orders[coop] = list(compress(order, map(left.__getitem__, order)))
                index = next_usable(orders[coop], 0, k, left)
                if index is not None:
                    position = orders[coop][index]
                    upcoming.append((columns[coop][position], position, coop, index))
        heapify(upcoming)
        received: dict[int, list[list[int]]] = defaultdict(list)
        remaining = sum(wanted.values())
        while upcoming:
            _, position, coop, index = heappop(upcoming)
            take = min(wanted[coop], left[position])
            if take:
                received[coop].append([position, take])
                left[position] -= take
                wanted[coop] -= take
                remaining -= take
                if remaining == 0:
                    break
            if wanted[coop]:
                following = next_usable(orders[coop], index + 1, k, left)
                if following is not None:
                    position = orders[coop][following]
                    heappush(upcoming, (columns[coop][position], position, coop, following))
        return received

    def _classes(self) -> list[PriceClass]:
        by_prefix: dict[int, list[int]] = defaultdict(list)
        for index, k in enumerate(self.line_prefix):
            if k > 0:
                by_prefix[k].append(index)
        classes = []
        for k, members in sorted(by_prefix.items(), key=lambda item: item[0]):
            weights: dict[int, int] = defaultdict(int)
            for index in members:
                weights[self.line_coop[index]] += self.lines[index].firm_quantity
            classes.append(
                PriceClass(
                    k,
                    members,
                    tuple(weights.keys()),
                    tuple(weights.values()),
                    sum(weights.values()),
                )
            )
        return classes
