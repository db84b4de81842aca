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

That optimum ignores rule 5 (short supply shared pro rata), which ranks above rule 6:
on scarce networks sharing fairly costs carriage no cheapest plan pays. So with
``shares`` (firm units by line, e.g. the engine's) the MILP instead fixes every line's
firm units, Σ_o f_ol = shares_l, and minimises the landed cost alone: the cheapest way
to give each line what it got, which measures rule 6 by itself.

A group not solved to optimality within the time limit counts its lower bound on the
landed cost (HiGHS's dual bound), so a gap measured against it is never understated.
"""

from __future__ import annotations

import math
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


def exact_optimum(
    problem: AllocationProblem,
    time_limit_s: float = 60.0,
    shares: dict[UUID, int] | None = None,
) -> Optimum:
    """``shares``: firm units by line, fixed (lines not in it get none)."""
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
        fill, cost, optimal = _solve_group(offers, lines, transport, time_limit_s, shares)
        filled += fill
        cost_milli += cost
        proven = proven and optimal
    return Optimum(filled, cost_milli // 1000, proven)


def _solve_group(
    offers: list[Offer],
    lines: list[DemandLine],
    transport: dict[tuple[UUID, UUID], int],
    time_limit_s: float,
    shares: dict[UUID, int] | None,
) -> tuple[int, int, bool]:
    pairs = [
        (o, line)
        for o in offers
        for line in lines
        if line.max_unit_price_ore is None
        or o.price_per_pack_ore <= line.max_unit_price_ore * o.pack_units
    ]
    if not pairs:
        return 0, 0, True  # the engine, too, gives these lines nothing
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
            firm_units = sum((firm[k] for k in keys), start=0 * firm[keys[0]])
            if shares is None:
                h.addConstr(firm_units <= line.firm_quantity)
            else:
                h.addConstr(firm_units == shares.get(line.id, 0))
            h.addConstr(sum((extra[k] for k in keys), start=0 * extra[keys[0]]) <= line.tolerance)
    total_firm = sum(firm.values(), start=0 * next(iter(firm.values())))
    if shares is None:
        h.maximize(total_firm)
        optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        best = round(h.getObjectiveValue())
        h.addConstr(total_firm >= best)
    else:
        optimal, best = True, sum(shares.get(line.id, 0) for line in lines)
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
    if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        return best, round(h.getObjectiveValue()), optimal
    if h.getModelStatus() != highspy.HighsModelStatus.kTimeLimit:
        raise ValueError(f"the landed cost MILP ended {h.getModelStatus()}")
    return best, math.floor(h.getInfo().mip_dual_bound), False
