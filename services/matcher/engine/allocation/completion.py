"""Step 4 of ``allocate``: complete each part-used pack from the tolerance of the
lines that may use the offer, nearest first, or name the offer to cap at its whole
packs instead.

Offers are referred to by their position in the group's price order and lines by
their index, as in ``group``.
"""

from __future__ import annotations

from collections.abc import Iterator

from services.matcher.engine.allocation.landed import Pairs
from services.matcher.engine.allocation.model import Offer
from services.matcher.engine.allocation.passes import Demand, Pass
from services.matcher.engine.common.integers import to_next_multiple


def complete_packs(demand: Demand, current: Pass) -> tuple[Pairs, list[Offer]]:
    """Tolerance units that complete the part-used packs of ``current``'s plan, and
    the offers to cap instead: those the tolerance can't complete, and those whose odd
    units cost less bought elsewhere than the tolerance units it would take (rule 6)."""
    group, firm_amounts, pinned = demand.group, current.amounts, demand.group.pinned_list
    completion = _Completion(demand, current)
    tolerance_flows: Pairs = {}
    failed: list[Offer] = []
    for position, offer in enumerate(group.offers):
        completion.pass_by(position)
        missing = to_next_multiple(firm_amounts[position] + pinned[position], offer.pack_units)
        if missing == 0:
            continue
        if completion.reachable < missing or completion.cheaper_elsewhere(position):
            failed.append(offer)
            continue
        for index in completion.takers(position):
            give = min(missing, completion.room[index])
            tolerance_flows[(position, index)] = give
            completion.take(index, give)
            missing -= give
            if missing == 0:
                break
    return tolerance_flows, failed


class _Completion:
    """The tolerance left per line, and what the offers' packs may draw on."""

    def __init__(self, demand: Demand, current: Pass) -> None:
        self.group = demand.group
        self.current = current
        self.firm_amounts = current.amounts  # by offer position, as the caps
        self.caps = current.cap_list
        room, by_prefix = demand.tolerance_room(current.firm_targets)
        self.room = list(room)  # by line index
        self.room_by_prefix = list(by_prefix)
        self.reachable = sum(by_prefix[1:])

    def pass_by(self, position: int) -> None:
        """Move on to the offer at ``position``: lines of prefix ``position`` can't
        use it."""
        if position:
            self.reachable -= self.room_by_prefix[position]

    def take(self, index: int, units: int) -> None:
        self.room[index] -= units
        self.room_by_prefix[self.group.line_prefix[index]] -= units
        self.reachable -= units

    def takers(self, position: int) -> Iterator[int]:
        """The lines that may complete the pack of the offer at ``position`` with
        their tolerance: nearest (lowest landed cost) first, ties by line id."""
        group = self.group
        row = group.landed.row(position)
        coops = group.landed.coops_by_cost(position)
        start = 0
        while start < len(coops):
            end = start + 1
            while end < len(coops) and row[coops[end]] == row[coops[start]]:
                end += 1
            tied = [
                index
                for coop in coops[start:end]
                for index in group.coop_lines[coop]
                if group.line_prefix[index] > position and self.room[index]
            ]
            tied.sort(key=lambda index: group.lines[index].id)
            yield from tied
            start = end

    def cheaper_elsewhere(self, position: int) -> bool:
        """Would moving the odd units of the offer at ``position`` to another offer
        every line it serves may use cost less than completing its pack from
        tolerance?"""
        group, firm_amounts, caps = self.group, self.firm_amounts, self.caps
        unit_price, pinned = group.unit_price_milli_ore, group.pinned_list
        offer = group.offers[position]
        odd = (firm_amounts[position] + pinned[position]) % offer.pack_units
        complete = (offer.pack_units - odd) * unit_price[position]
        for other_position, other in enumerate(group.offers[: self.reach(position)]):
            spare = caps[other_position] - firm_amounts[other_position]
            if other.id == offer.id or spare < odd:
                continue
            held = firm_amounts[other_position] + pinned[other_position]
            before = to_next_multiple(held, other.pack_units)
            after = to_next_multiple(held + odd, other.pack_units)
            move = odd * (unit_price[other_position] - unit_price[position])
            move += (after - before) * unit_price[other_position]
            if move < complete:
                return True
        return False

    def reach(self, position: int) -> int:
        """How many offers every line the offer at ``position`` serves may use."""
        return self.current.reach(self.group.price_classes, position)
