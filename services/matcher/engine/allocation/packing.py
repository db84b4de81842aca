"""Buying whole packs for one product and temperature class, and splitting them.

See ``allocate`` for the steps; this module plans one group from its ``GroupIndex``
(offers by position in the price order, lines by index, as there).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush
from uuid import UUID

from services.matcher.engine.allocation.completion import complete_packs
from services.matcher.engine.allocation.exact import ExactSplit, fullest, to_lines
from services.matcher.engine.allocation.group import GroupIndex
from services.matcher.engine.allocation.landed import Pairs, Walks
from services.matcher.engine.allocation.model import Offer, Shortfall, Unproven
from services.matcher.engine.allocation.reasons import shortfalls
from services.matcher.engine.common.fair import nested_pro_rata


@dataclass
class Solved:
    """One group's part of the result, keyed by ranks in the problem's id order
    (``GroupIndex``): pairs by their one int key, offers by rank."""

    flows: dict[int, int] = field(default_factory=dict)  # (offer, line) pair → units
    tolerance: dict[int, int] = field(default_factory=dict)
    packs: dict[int, int] = field(default_factory=dict)  # by offer rank
    shortfalls: list[tuple[int, Shortfall]] = field(default_factory=list)  # by line rank
    carriage_milli_ore: int = 0  # of the units in ``flows``, at the estimate
    unproven: Unproven | None = None  # why the fill is not proven the most possible


IMPROVEMENT_TRIES = 3


@dataclass
class Plan:
    """One way to buy and split a group's packs, with its firm fill and landed cost."""

    caps: dict[UUID, int]
    firm_targets: dict[int, int]  # by line index
    firm_amounts: dict[UUID, int]  # by offer
    firm_flows: Pairs
    tolerance_flows: Pairs
    bought_units: dict[UUID, int]  # by offer: whole packs
    firm_fill: int
    cost_milli_ore: int  # packs times price plus carriage
    carriage_milli_ore: int


def solve_group(group: GroupIndex) -> Solved:
    """The group's purchases, allocations and shortfalls.

    The greedy plan is kept when it fills all that the supply could without whole
    packs (a bound no plan beats); otherwise ``exact`` looks for a fuller one, and
    its packs are handed out as the greedy plan would, or as it split them itself.
    """
    targets, first_short = _targets(group, group.full_caps)  # before any pack is capped
    plan = _cheaper(group, _plan(group, group.full_caps))
    unproven: Unproven | None = None
    if plan.firm_fill < sum(targets.values()):
        split = fullest(group, plan.firm_fill)
        if split is not None:
            unproven = split.unproven
            if split.firm_fill > plan.firm_fill:
                plan = _fullest_plan(group, split)
    solved = Solved(unproven=unproven, carriage_milli_ore=plan.carriage_milli_ore)
    firm_and_tolerance = dict(plan.firm_flows)
    for (position, index), units in plan.tolerance_flows.items():
        firm_and_tolerance[(position, index)] = firm_and_tolerance.get((position, index), 0) + units
        solved.tolerance[group.pair_key(position, index)] = units
    solved.flows = {
        group.pair_key(position, index): units
        for (position, index), units in firm_and_tolerance.items()
    }
    for rank, offer in zip(group.offer_ranks, group.offers, strict=True):
        solved.packs[rank] = plan.bought_units[offer.id] // offer.pack_units
    solved.shortfalls = [
        (group.line_ranks[index], shortfall)
        for index, shortfall in shortfalls(group, first_short, plan.caps, firm_and_tolerance)
    ]
    return solved


def _cheaper(group: GroupIndex, plan: Plan) -> Plan:
    """Rule 6: a pack completed with many tolerance units costs more than needed.
    Either its odd units are cheaper elsewhere (cap it), or its spare units can
    replace whole packs of a dearer offer (cap that one). Keep what fills as much
    and costs less."""
    for trial_caps in _cheaper_caps(group, plan, IMPROVEMENT_TRIES):
        trial = _plan(group, trial_caps)
        if trial.firm_fill >= plan.firm_fill and trial.cost_milli_ore < plan.cost_milli_ore:
            plan = trial
    return plan


def _fullest_plan(group: GroupIndex, split: ExactSplit) -> Plan:
    """The exact split's packs, handed out by the greedy steps if they fill as much
    (they share pro rata across price classes), else as the split hands them out."""
    caps = {
        offer.id: packs * offer.pack_units
        for offer, packs in zip(group.offers, split.packs, strict=True)
    }
    greedy = _plan(group, caps)
    if greedy.firm_fill >= split.firm_fill:
        return _cheaper(group, greedy)
    flows = to_lines(group, split)
    firm_amounts = dict.fromkeys(group.offer_ids, 0)
    for (position, _), units in flows.firm_flows.items():
        firm_amounts[group.offer_ids[position]] += units
    return _costed(
        group, caps, flows.firm_targets, firm_amounts, flows.firm_flows, flows.tolerance_flows
    )


def _whole(group: GroupIndex, offer: Offer, units: int) -> int:
    """The most of ``units`` the engine can take from an offer in whole packs,
    counting the pinned units (themselves whole packs)."""
    pinned = group.pinned_units[offer.id]
    return (units + pinned) // offer.pack_units * offer.pack_units - pinned


def _plan(group: GroupIndex, caps: dict[UUID, int]) -> Plan:
    """Targets, offers, pairs and pack completion, capping offers until every pack
    bought is whole."""
    caps = dict(caps)
    while True:
        firm_targets, _ = _targets(group, caps)
        firm_amounts = _amounts(group, firm_targets, caps)
        firm_flows = _flows(group, firm_amounts, firm_targets)
        tolerance_flows, failed = complete_packs(
            group, firm_amounts, firm_flows, firm_targets, caps
        )
        if not failed:
            break
        for offer in failed:
            caps[offer.id] = _whole(group, offer, firm_amounts[offer.id])
    return _costed(group, caps, firm_targets, firm_amounts, firm_flows, tolerance_flows)


def _costed(
    group: GroupIndex,
    caps: dict[UUID, int],
    firm_targets: dict[int, int],
    firm_amounts: dict[UUID, int],
    firm_flows: Pairs,
    tolerance_flows: Pairs,
) -> Plan:
    """A plan with its packs bought, fill and landed cost worked out."""
    bought_units = {
        offer_id: units + group.pinned_units[offer_id] for offer_id, units in firm_amounts.items()
    }
    for (position, _), units in tolerance_flows.items():
        bought_units[group.offer_ids[position]] += units
    carriage = group.landed.carriage((firm_flows, tolerance_flows), group.line_coop)
    goods = sum(
        bought_units[o.id] // o.pack_units * o.price_per_pack_ore * 1000 for o in group.offers
    )
    return Plan(
        caps=caps,
        firm_targets=firm_targets,
        firm_amounts=firm_amounts,
        firm_flows=firm_flows,
        tolerance_flows=tolerance_flows,
        bought_units=bought_units,
        firm_fill=sum(firm_amounts.values()),
        cost_milli_ore=goods + carriage,
        carriage_milli_ore=carriage,
    )


def _cheaper_caps(group: GroupIndex, plan: Plan, limit: int) -> list[dict[UUID, int]]:
    """Caps to try, for the offers whose last pack took the most tolerance units."""
    ids, offers, unit_price = group.offer_ids, group.offers, group.unit_price_milli_ore
    spare: dict[int, int] = defaultdict(int)  # tolerance units by offer position
    for (position, _), units in plan.tolerance_flows.items():
        spare[position] += units
    trials = []
    by_most_spare = sorted(spare.items(), key=lambda item: (-item[1], ids[item[0]]))
    for position, units in by_most_spare[:limit]:
        offer_id = ids[position]
        whole = _whole(group, offers[position], plan.firm_amounts[offer_id])
        if whole >= 0:
            trials.append({**plan.caps, offer_id: whole})
        dearer = sorted(
            (
                other
                for other, offer in enumerate(offers)
                if offer.id != offer_id and offer.pack_units <= units
            ),
            key=lambda other: (-unit_price[other], ids[other]),
        )
        for other in dearer:
            pack_units, other_amount = offers[other].pack_units, plan.firm_amounts[ids[other]]
            packs = min(units // pack_units, other_amount // pack_units)
            if packs > 0:
                trials.append({**plan.caps, ids[other]: other_amount - packs * pack_units})
                break
    return trials


def _targets(group: GroupIndex, caps: dict[UUID, int]) -> tuple[dict[int, int], set[int]]:
    """Firm units per line index, and the lines short of supply."""
    supply_by_prefix = [0]
    for offer_id in group.offer_ids:
        supply_by_prefix.append(supply_by_prefix[-1] + caps[offer_id])
    return nested_pro_rata(supply_by_prefix, group.firm_demand)


def _amounts(
    group: GroupIndex, firm_targets: dict[int, int], caps: dict[UUID, int]
) -> dict[UUID, int]:
    """Firm units bought per offer: each price class, cheapest first, takes the lowest
    landed cost it may use, so partly used packs gather on few offers."""
    ids = group.offer_ids
    left = [caps[offer_id] for offer_id in ids]
    amounts = [0] * len(ids)
    by_floor = list(group.landed.by_floor)
    for price_class in group.price_classes:
        wanted = sum(firm_targets.get(index, 0) for index in price_class.members)
        if wanted == 0:
            continue
        for position in group.landed.by_mean(price_class, left, by_floor, ids):
            take = min(wanted, left[position])
            amounts[position] += take
            left[position] -= take
            wanted -= take
            if wanted == 0:
                break
    return dict(zip(ids, amounts, strict=True))


def _flows(group: GroupIndex, firm_amounts: dict[UUID, int], firm_targets: dict[int, int]) -> Pairs:
    """Firm units per (offer, line): price classes narrowest first; within a class the
    cheapest landed (offer, co-op) pairs first, whichever co-op they belong to.

    Landed cost depends on the co-op, not the line, so the pairs are per co-op (far
    fewer than per line) and a co-op's units are then split among its lines.
    """
    left = [firm_amounts[offer_id] for offer_id in group.offer_ids]
    walks = Walks(group.landed, left)
    flows: Pairs = {}
    line_coop = group.line_coop
    for price_class in group.price_classes:
        wanted: dict[int, int] = defaultdict(int)  # co-op index → units
        for index in price_class.members:
            wanted[line_coop[index]] += firm_targets.get(index, 0)
        received = _receive(group, price_class.k, wanted, walks)
        first: dict[int, int] = {}  # co-op index → its first batch with units left
        for index in price_class.members:  # each co-op's lines, by id, take what it got
            need = firm_targets.get(index, 0)
            coop = line_coop[index]
            batches = received.get(coop, [])
            at = first.get(coop, 0)
            while need and at < len(batches):
                position, units = batches[at]
                take = min(need, units)
                key = (position, index)
                flows[key] = flows.get(key, 0) + take
                batches[at][1] = units - take
                need -= take
                if take == units:
                    at += 1
            first[coop] = at
    return flows


def _receive(
    group: GroupIndex, k: int, wanted: dict[int, int], walks: Walks
) -> dict[int, list[list[int]]]:
    """[offer position, units] per co-op: the (offer, co-op) pairs of the first ``k``
    offers by (landed cost, offer position, co-op), each taking what it can.

    A merge of each co-op's offers in landed order: the same sequence as sorting every
    pair, but it stops looking at a co-op once it has what it wants.
    """
    left = walks.left
    upcoming = []  # (landed cost, position, co-op, index in its order)
    for coop, units in wanted.items():
        if units:
            entry = walks.next_usable(coop, 0, k)
            if entry is not None:
                upcoming.append(entry)
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
        if wanted[coop]:  # so this offer is used up: the walk goes on past it
            entry = walks.next_usable(coop, index, k)
            if entry is not None:
                heappush(upcoming, entry)
    return received
