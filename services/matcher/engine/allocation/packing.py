"""Buying whole packs for one product and temperature class, and splitting them.

See ``allocate`` for the steps; this module plans one group from its ``GroupIndex``
(offers by position in the price order, lines by index, as there).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from uuid import UUID

import numpy as np

from services.matcher.engine.allocation.completion import complete_packs
from services.matcher.engine.allocation.exact import ExactSplit, fullest, to_lines
from services.matcher.engine.allocation.group import GroupIndex
from services.matcher.engine.allocation.landed import Pairs, Vector
from services.matcher.engine.allocation.model import Offer, Shortfall, Unproven
from services.matcher.engine.allocation.passes import Demand, Pass, plan_pass
from services.matcher.engine.allocation.reasons import shortfalls


@dataclass
class Solved:
    """One group's part of the result, keyed by ranks in the problem's id order
    (``GroupIndex``): pairs by their one int key, offers by rank."""

    # (pair keys, units) as numpy arrays, firm and tolerance units alike: a pair may
    # be in more than one, its units add up
    flows: list[tuple[Vector, Vector]] = field(default_factory=list)
    tolerance: list[tuple[Vector, Vector]] = field(default_factory=list)  # of ``flows``
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
    firm: Pass | Pairs  # the pass it was planned in, or the exact split's firm flows
    tolerance_flows: Pairs
    bought_units: dict[UUID, int]  # by offer: whole packs
    firm_fill: int
    cost_milli_ore: int  # packs times price plus carriage
    carriage_milli_ore: int
    last: Pass | None  # the pass it was planned in, to replay trials from; None: exact's

    @property
    def firm_flows(self) -> Pairs:
        """Firm units per (offer position, line index); a pass's are made when read,
        and only the plan kept is read."""
        return self.firm.firm_flows if isinstance(self.firm, Pass) else self.firm


def solve_group(group: GroupIndex) -> Solved:
    """The group's purchases, allocations and shortfalls.

    The greedy plan is kept when it fills all that the supply could without whole
    packs (a bound no plan beats); otherwise ``exact`` looks for a fuller one, and
    its packs are handed out as the greedy plan would, or as it split them itself.
    """
    demand = Demand(group)
    first = plan_pass(demand, group.full_caps)  # before any pack is capped
    plan = _cheaper(group, demand, _plan(group, demand, first))
    unproven: Unproven | None = None
    if plan.firm_fill < sum(first.firm_targets.values()):
        split = fullest(group, plan.firm_fill)
        if split is not None:
            unproven = split.unproven
            if split.firm_fill > plan.firm_fill:
                plan = _fullest_plan(group, demand, split)
    solved = Solved(unproven=unproven, carriage_milli_ore=plan.carriage_milli_ore)
    firm, tolerance = group.keyed(plan.firm_flows), group.keyed(plan.tolerance_flows)
    solved.flows = [(firm.keys, firm.units), (tolerance.keys, tolerance.units)]
    solved.tolerance = [(tolerance.keys, tolerance.units)]
    for rank, offer in zip(group.offer_ranks, group.offers, strict=True):
        solved.packs[rank] = plan.bought_units[offer.id] // offer.pack_units
    got = np.zeros(len(group.lines), np.int64)  # units by line index
    np.add.at(got, firm.lines, firm.units)
    np.add.at(got, tolerance.lines, tolerance.units)
    solved.shortfalls = [
        (group.line_ranks[index], shortfall)
        for index, shortfall in shortfalls(group, first.short, plan.caps, got.tolist())
    ]
    return solved


def _cheaper(group: GroupIndex, demand: Demand, plan: Plan) -> Plan:
    """Rule 6: a pack completed with many tolerance units costs more than needed.
    Either its odd units are cheaper elsewhere (cap it), or its spare units can
    replace whole packs of a dearer offer (cap that one). Keep what fills as much
    and costs less. Each trial differs from the plan by one cap: replayed from it."""
    base = plan.last
    for trial_caps in _cheaper_caps(group, plan, IMPROVEMENT_TRIES):
        trial = _plan(group, demand, plan_pass(demand, trial_caps, base))
        if trial.firm_fill >= plan.firm_fill and trial.cost_milli_ore < plan.cost_milli_ore:
            plan = trial
    return plan


def _fullest_plan(group: GroupIndex, demand: Demand, split: ExactSplit) -> Plan:
    """The exact split's packs, handed out by the greedy steps if they fill as much
    (they share pro rata across price classes), else as the split hands them out."""
    caps = {
        offer.id: packs * offer.pack_units
        for offer, packs in zip(group.offers, split.packs, strict=True)
    }
    greedy = _plan(group, demand, plan_pass(demand, caps))
    if greedy.firm_fill >= split.firm_fill:
        return _cheaper(group, demand, greedy)
    flows = to_lines(group, split)
    firm_amounts = dict.fromkeys(group.offer_ids, 0)
    for (position, _), units in flows.firm_flows.items():
        firm_amounts[group.offer_ids[position]] += units
    return _costed(
        group,
        caps,
        flows.firm_targets,
        firm_amounts,
        flows.firm_flows,
        flows.tolerance_flows,
        last=None,
    )


def _whole(group: GroupIndex, offer: Offer, units: int) -> int:
    """The most of ``units`` the engine can take from an offer in whole packs,
    counting the pinned units (themselves whole packs)."""
    pinned = group.pinned_units[offer.id]
    return (units + pinned) // offer.pack_units * offer.pack_units - pinned


def _plan(group: GroupIndex, demand: Demand, current: Pass) -> Plan:
    """Pack completion after steps 1 to 3 (``current``), capping offers and planning
    again (replayed from the pass before) until every pack bought is whole."""
    while True:
        tolerance_flows, failed = complete_packs(demand, current)
        if not failed:
            break
        caps = dict(current.caps)
        for offer in failed:
            caps[offer.id] = _whole(group, offer, current.firm_amounts[offer.id])
        current = plan_pass(demand, caps, current)
    return _costed(
        group,
        current.caps,
        current.firm_targets,
        current.firm_amounts,
        current,
        tolerance_flows,
        last=current,
    )


def _costed(
    group: GroupIndex,
    caps: dict[UUID, int],
    firm_targets: dict[int, int],
    firm_amounts: dict[UUID, int],
    firm: Pass | Pairs,
    tolerance_flows: Pairs,
    last: Pass | None,
) -> Plan:
    """A plan with its packs bought, fill and landed cost worked out. A pass's firm
    carriage is its classes' (each worked out once, from its (offer, co-op) takes):
    re-plans and trials reuse most classes, and summing every (offer, line) pair of
    each made the plans, not the network, what the time grew with."""
    bought_units = {
        offer_id: units + group.pinned_units[offer_id] for offer_id, units in firm_amounts.items()
    }
    for (position, _), units in tolerance_flows.items():
        bought_units[group.offer_ids[position]] += units
    carriage = group.landed.carriage((tolerance_flows,), group.line_coop)
    if isinstance(firm, Pass):
        carriage += firm.firm_carriage_milli_ore
    else:
        carriage += group.landed.carriage((firm,), group.line_coop)
    goods = sum(
        bought_units[o.id] // o.pack_units * o.price_per_pack_ore * 1000 for o in group.offers
    )
    return Plan(
        caps=caps,
        firm_targets=firm_targets,
        firm_amounts=firm_amounts,
        firm=firm,
        tolerance_flows=tolerance_flows,
        bought_units=bought_units,
        firm_fill=sum(firm_amounts.values()),
        cost_milli_ore=goods + carriage,
        carriage_milli_ore=carriage,
        last=last,
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
