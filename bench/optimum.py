"""The exact optimum of rules 1-4 (and 6's cost at that fill) by a MILP solver, HiGHS.

Per product and temperature class, as the engine works, since groups share nothing:

    n_o   packs bought of offer o           integer, 0 ≤ n_o ≤ packs available
    f_ol  firm units from o to line l       integer ≥ 0, only for eligible pairs
    e_ol  tolerance units from o to l       integer ≥ 0, only for eligible pairs
    Σ_l (f_ol + e_ol) = pack_units_o · n_o  (rule 1: whole packs, all handed out)
    Σ_o f_ol ≤ q_l,  Σ_o e_ol ≤ t_l        (rule 2: at most q + t)
    Σ_l e_ol ≤ pack_units_o - 1            (rule 2: tolerance only completes a pack)

First maximise Σ f (rule 4), then, with Σ f fixed at that maximum, minimise the
landed cost: packs times price plus carriage per unit (rule 6).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

import highspy

from services.matcher.engine import AllocationProblem, DemandLine, Offer


@dataclass(frozen=True)
class Optimum:
    firm_units_filled: int
    landed_cost_ore: int  # goods plus transport at that fill
    proven: bool  # every group solved to optimality within the time limit


def exact_optimum(problem: AllocationProblem, time_limit_s: float = 60.0) -> Optimum:
    transport = {(t.producer_id, t.coop_id): t.ore_per_kg for t in problem.transport}
    groups: dict[tuple[UUID, str], list[DemandLine]] = defaultdict(list)
    for line in problem.lines:
        groups[(line.product_id, line.temperature)].append(line)
    filled = cost_milli = 0
    proven = True
    for (product_id, temperature), lines in sorted(groups.items()):
        offers = [
            o
            for o in problem.offers
            if o.product_id == product_id
            and o.temperature == temperature
            and o.valid_from <= problem.delivery_date <= o.valid_until
            and o.packs_available > 0
        ]
        fill, cost, optimal = _solve_group(offers, lines, transport, time_limit_s)
        filled += fill
        cost_milli += cost
        proven = proven and optimal
    return Optimum(filled, cost_milli // 1000, proven)


def _solve_group(
    offers: list[Offer],
    lines: list[DemandLine],
    transport: dict[tuple[UUID, UUID], int],
    time_limit_s: float,
) -> tuple[int, int, bool]:
    pairs = [
        (o, line)
        for o in offers
        for line in lines
        if line.max_unit_price_ore is None
        or o.price_per_pack_ore <= line.max_unit_price_ore * o.pack_units
    ]
    if not pairs:
        return 0, 0, True
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.silent()
    h.setOptionValue("time_limit", time_limit_s)
    packs = {o.id: h.addIntegral(lb=0, ub=o.packs_available) for o in offers}
    firm = {(o.id, line.id): h.addIntegral(lb=0, ub=line.firm_quantity) for o, line in pairs}
    extra = {(o.id, line.id): h.addIntegral(lb=0, ub=line.tolerance) for o, line in pairs}
    by_offer: dict[UUID, list[tuple[UUID, UUID]]] = defaultdict(list)
    by_line: dict[UUID, list[tuple[UUID, UUID]]] = defaultdict(list)
    for o, line in pairs:
        by_offer[o.id].append((o.id, line.id))
        by_line[line.id].append((o.id, line.id))
    for o in offers:
        keys = by_offer[o.id]
        handed_out = sum((firm[k] + extra[k] for k in keys), start=0 * packs[o.id])
        h.addConstr(handed_out == o.pack_units * packs[o.id])
        if keys:
            h.addConstr(sum((extra[k] for k in keys), start=0 * packs[o.id]) <= o.pack_units - 1)
    for line in lines:
        keys = by_line[line.id]
        if keys:
            h.addConstr(sum((firm[k] for k in keys), start=0 * firm[keys[0]]) <= line.firm_quantity)
            h.addConstr(sum((extra[k] for k in keys), start=0 * extra[keys[0]]) <= line.tolerance)
    total_firm = sum(firm.values(), start=0 * next(iter(firm.values())))
    h.maximize(total_firm)
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    best = round(h.getObjectiveValue())
    h.addConstr(total_firm >= best)
    offers_by_id = {o.id: o for o in offers}
    lines_by_id = {line.id: line for line in lines}

    def carriage(key: tuple[UUID, UUID]) -> int:  # milli-öre per unit
        o, line = offers_by_id[key[0]], lines_by_id[key[1]]
        return transport.get((o.producer_id, line.coop_id), 0) * o.grams_per_unit

    landed = sum(
        (o.price_per_pack_ore * 1000 * packs[o.id] for o in offers),
        start=0 * packs[offers[0].id],
    ) + sum(((firm[k] + extra[k]) * carriage(k) for k in firm), start=0 * packs[offers[0].id])
    h.minimize(landed)
    optimal = optimal and h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return best, round(h.getObjectiveValue()), optimal
