"""An independent check of an allocation against rules 1-3 of docs/matching.md.

Written from the rules, not from the engine: it reads only the problem and the
result, and names every broken rule it finds.
"""

from __future__ import annotations

from collections import defaultdict, deque
from uuid import UUID

from services.matcher.engine import AllocationProblem, AllocationResult, DemandLine, Offer


def broken_rules(problem: AllocationProblem, result: AllocationResult) -> list[str]:
    offers = {offer.id: offer for offer in problem.offers}
    lines = {line.id: line for line in problem.lines}
    problems: list[str] = []
    packs = {purchase.offer_id: purchase.packs for purchase in result.purchases}
    short = {s.line_id: s.units_short for s in result.shortfalls}
    from_offer: dict[UUID, int] = defaultdict(int)
    to_line: dict[UUID, int] = defaultdict(int)
    tolerance_from: dict[UUID, int] = defaultdict(int)
    tolerance_to: dict[UUID, int] = defaultdict(int)
    for item in result.allocations:
        offer, line = offers[item.offer_id], lines[item.line_id]
        from_offer[offer.id] += item.units
        to_line[line.id] += item.units
        tolerance_from[offer.id] += item.tolerance_units
        tolerance_to[line.id] += item.tolerance_units
        if not eligible(problem, offer, line):
            problems.append(f"rule 3: offer {offer.id} may not serve line {line.id}")
        if item.units <= 0 or not 0 <= item.tolerance_units <= item.units:
            problems.append(f"an allocation of {item.units} units is malformed")
    problems += _whole_packs(offers, packs, from_offer, tolerance_from)
    for line_id, line in lines.items():
        if to_line[line_id] > line.firm_quantity + line.tolerance:
            problems.append(f"rule 2: line {line_id} got {to_line[line_id]} > q + t")
        if tolerance_to[line_id] != max(0, to_line[line_id] - line.firm_quantity):
            problems.append(f"rule 2: line {line_id}'s tolerance units don't add up")
        missing = max(0, line.firm_quantity - to_line[line_id])
        if short.get(line_id, 0) != missing:
            problems.append(
                f"line {line_id} is {missing} short, the result says {short.get(line_id, 0)}"
            )
    return problems


def _whole_packs(
    offers: dict[UUID, Offer],
    packs: dict[UUID, int],
    from_offer: dict[UUID, int],
    tolerance_from: dict[UUID, int],
) -> list[str]:
    problems = []
    for offer_id, offer in offers.items():
        bought = packs.get(offer_id, 0)
        if bought > offer.packs_available:
            problems.append(f"rule 1: {bought} packs of {offer_id} > {offer.packs_available}")
        if from_offer[offer_id] != bought * offer.pack_units:
            problems.append(
                f"rule 1: {from_offer[offer_id]} units of {offer_id} handed out "
                f"for {bought} packs of {offer.pack_units}"
            )
        if tolerance_from[offer_id] >= offer.pack_units:
            problems.append(f"rule 2: {tolerance_from[offer_id]} tolerance units of {offer_id}")
    return problems


def eligible(problem: AllocationProblem, offer: Offer, line: DemandLine) -> bool:
    """Same product and temperature class, valid on the day, not above the max price."""
    limit = line.max_unit_price_ore
    return (
        offer.product_id == line.product_id
        and offer.temperature == line.temperature
        and offer.valid_from <= problem.delivery_date <= offer.valid_until
        and (limit is None or offer.price_per_pack_ore <= limit * offer.pack_units)
    )


def max_firm_fill_single_units(problem: AllocationProblem) -> int:
    """The most firm units any allocation can fill when every pack is one unit.

    A plain max flow (Edmonds-Karp) from offers to lines over the eligible pairs.
    """
    source, sink = "source", "sink"
    capacity: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for offer in problem.offers:
        capacity[source][f"o{offer.id}"] += offer.packs_available * offer.pack_units
        for line in problem.lines:
            if eligible(problem, offer, line):
                capacity[f"o{offer.id}"][f"l{line.id}"] += line.firm_quantity
    for line in problem.lines:
        capacity[f"l{line.id}"][sink] += line.firm_quantity
    return _max_flow(capacity, source, sink)


def pinned_packs_can_be_completed(problem: AllocationProblem) -> bool:
    """Whether some allocation honours the pins (each within its line's firm quantity):
    buying just the packs the pins start, the rest of those packs must fit into
    the room the lines they may serve have left (firm quantity plus tolerance)."""
    pinned_from: dict[UUID, int] = defaultdict(int)
    pinned_to: dict[UUID, int] = defaultdict(int)
    for pin in problem.pins:
        pinned_from[pin.offer_id] += pin.units
        pinned_to[pin.line_id] += pin.units
    source, sink = "source", "sink"
    capacity: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rest = 0
    for offer in problem.offers:
        remnant = -pinned_from[offer.id] % offer.pack_units
        rest += remnant
        capacity[source][f"o{offer.id}"] += remnant
        for line in problem.lines:
            if eligible(problem, offer, line):
                capacity[f"o{offer.id}"][f"l{line.id}"] += remnant
    for line in problem.lines:
        room = line.firm_quantity + line.tolerance - pinned_to[line.id]
        capacity[f"l{line.id}"][sink] += room
    return _max_flow(capacity, source, sink) == rest


def _max_flow(capacity: dict[str, dict[str, int]], source: str, sink: str) -> int:
    """Edmonds-Karp; ``capacity`` is used up."""
    flow = 0
    while True:
        parent: dict[str, str] = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            node = queue.popleft()
            for nxt, cap in capacity[node].items():
                if cap > 0 and nxt not in parent:
                    parent[nxt] = node
                    queue.append(nxt)
        if sink not in parent:
            return flow
        path, node = [], sink
        while node != source:
            path.append((parent[node], node))
            node = parent[node]
        pushed = min(capacity[a][b] for a, b in path)
        for a, b in path:
            capacity[a][b] -= pushed
            capacity[b][a] += pushed
        flow += pushed
