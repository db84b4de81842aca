"""Coordinators' pins: allocations fixed before the engine runs.

A pin gives a line some units of an offer. The engine takes pinned units as given: a
pinned line asks only for what the pins leave of its firm quantity and tolerance, and
a pinned offer has fewer units left. The rest of the last pack the pins start is
bought already, so it is handed out here, before the engine runs: to the nearest
lines' firm quantity first, then to their tolerance. A maximum flow makes sure that
if any allocation completes every pinned pack, this one does; if none can, the run
fails saying which offer.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from uuid import UUID

import msgspec

from services.matcher.engine.allocation.landed import Rates
from services.matcher.engine.allocation.model import AllocationProblem, DemandLine, Offer, PinError
from services.matcher.engine.common.integers import to_next_multiple


@dataclass
class Pinned:
    """What the pins take, and the lines as the engine still sees them."""

    lines: list[DemandLine]
    units_by_offer: dict[UUID, int] = field(default_factory=dict)
    flows: dict[tuple[UUID, UUID], int] = field(default_factory=dict)  # (offer, line) → units
    tolerance: dict[tuple[UUID, UUID], int] = field(default_factory=dict)


def pin_problems(problem: AllocationProblem) -> list[str]:
    """Every reason the problem's pins can't be honoured; empty when they can."""
    offers = {offer.id: offer for offer in problem.offers}
    lines = {line.id: line for line in problem.lines}
    errors: list[str] = []
    per_offer: dict[UUID, int] = defaultdict(int)
    per_line: dict[UUID, int] = defaultdict(int)
    seen: set[tuple[UUID, UUID]] = set()
    for index, pin in enumerate(problem.pins):
        where = f"pins[{index}]"
        offer, line = offers.get(pin.offer_id), lines.get(pin.line_id)
        if pin.units < 1:
            errors.append(f"{where}: units must be at least 1")
        if offer is None:
            errors.append(f"{where}: offer {pin.offer_id} is not in this run")
        if line is None:
            errors.append(f"{where}: demand line {pin.line_id} is not in this run")
        if (pin.offer_id, pin.line_id) in seen:
            errors.append(f"{where}: offer {pin.offer_id} is pinned to this line twice")
        seen.add((pin.offer_id, pin.line_id))
        if offer is None or line is None or pin.units < 1:
            continue
        per_offer[offer.id] += pin.units
        per_line[line.id] += pin.units
        if mismatch := _mismatch(problem, offer, line):
            errors.append(f"{where}: {mismatch}")
    for offer_id, units in sorted(per_offer.items()):
        supply = offers[offer_id].pack_units * offers[offer_id].packs_available
        if units > supply:
            errors.append(f"offer {offer_id}: {units} units pinned, {supply} available")
    for line_id, units in sorted(per_line.items()):
        most = lines[line_id].firm_quantity + lines[line_id].tolerance
        if units > most:
            errors.append(
                f"demand line {line_id}: {units} units pinned, "
                f"more than its firm quantity plus tolerance ({most})"
            )
    return errors


def _mismatch(problem: AllocationProblem, offer: Offer, line: DemandLine) -> str | None:
    """Why the offer may not serve the line (rule 3), if it may not."""
    if offer.product_id != line.product_id:
        return "the offer is for another product than the line"
    if offer.temperature != line.temperature:
        return f"the offer is {offer.temperature}, the line wants {line.temperature}"
    if not offer.valid_from <= problem.delivery_date <= offer.valid_until:
        return f"the offer is not valid on {problem.delivery_date}"
    limit = line.max_unit_price_ore
    if limit is not None and offer.price_per_pack_ore > limit * offer.pack_units:
        return "the offer's unit price is above the line's maximum"
    return None


def apply_pins(problem: AllocationProblem, rates: Rates) -> Pinned:
    """The pinned units, and each line with what its pins leave it to ask for."""
    if not problem.pins:  # nothing to check or take: the lines as they are
        return Pinned(lines=list(problem.lines))
    if errors := pin_problems(problem):
        raise PinError("; ".join(errors))
    lines = {line.id: line for line in problem.lines}
    pinned = Pinned(lines=[])
    per_line: dict[UUID, int] = defaultdict(int)
    for pin in sorted(problem.pins, key=lambda pin: (pin.line_id, pin.offer_id)):
        _give(pinned, per_line, pin.offer_id, lines[pin.line_id], pin.units)
    completing = _complete_pinned_packs(problem, rates, pinned, per_line)
    for (offer_id, line_id), units in completing.items():
        _give(pinned, per_line, offer_id, lines[line_id], units)
    for line in problem.lines:
        taken = per_line.get(line.id, 0)
        if taken == 0:
            pinned.lines.append(line)
            continue
        beyond = max(0, taken - line.firm_quantity)
        pinned.lines.append(
            msgspec.structs.replace(
                line,
                firm_quantity=max(0, line.firm_quantity - taken),
                tolerance=line.tolerance - beyond,
            )
        )
    return pinned


def _give(
    pinned: Pinned, per_line: dict[UUID, int], offer_id: UUID, line: DemandLine, units: int
) -> None:
    """Book units of an offer to a line before the engine runs: firm quantity first,
    the rest as tolerance."""
    firm_left = max(0, line.firm_quantity - per_line[line.id])
    key = (offer_id, line.id)
    pinned.units_by_offer[offer_id] = pinned.units_by_offer.get(offer_id, 0) + units
    pinned.flows[key] = pinned.flows.get(key, 0) + units
    if units > firm_left:
        pinned.tolerance[key] = pinned.tolerance.get(key, 0) + units - firm_left
    per_line[line.id] += units


def _complete_pinned_packs(
    problem: AllocationProblem, rates: Rates, pinned: Pinned, per_line: dict[UUID, int]
) -> dict[tuple[UUID, UUID], int]:
    """Units that complete the packs the pins start: (offer, line) → units. A maximum
    flow from the packs' missing units to the lines' room, first their firm quantity
    only, then their tolerance too (continuing the same flow, so it stays maximal);
    each offer tries the nearest co-ops first. PinError when no flow completes them."""
    missing = {
        offer.id: to_next_multiple(pinned.units_by_offer[offer.id], offer.pack_units)
        for offer in sorted(problem.offers, key=lambda offer: offer.id)
        if pinned.units_by_offer.get(offer.id, 0) % offer.pack_units
    }
    if not missing:
        return {}
    offers = {offer.id: offer for offer in problem.offers}
    takers: dict[UUID, list[DemandLine]] = {}
    for offer_id in missing:
        offer = offers[offer_id]
        takers[offer_id] = sorted(
            (line for line in problem.lines if _mismatch(problem, offer, line) is None),
            key=lambda line: (rates.rate(offer.producer_id, line.coop_id), line.id),
        )
    firm_room = {
        line.id: max(0, line.firm_quantity - per_line.get(line.id, 0)) for line in problem.lines
    }
    room = dict(firm_room)  # what each line may still take
    flow: dict[tuple[UUID, UUID], int] = defaultdict(int)
    _augment(missing, takers, room, flow)
    for line in problem.lines:  # then their tolerance too
        most = line.firm_quantity + line.tolerance - per_line.get(line.id, 0)
        room[line.id] += most - firm_room[line.id]
    _augment(missing, takers, room, flow)
    if short := [offer_id for offer_id, units in missing.items() if units]:
        raise PinError(
            "; ".join(
                f"offer {offer_id}: the pinned units leave part of a pack that no other "
                "line can take"
                for offer_id in short
            )
        )
    return {pair: units for pair, units in flow.items() if units}


def _augment(
    missing: dict[UUID, int],
    takers: dict[UUID, list[DemandLine]],
    room: dict[UUID, int],
    flow: dict[tuple[UUID, UUID], int],
) -> None:
    """Push as many missing units as the room allows, along shortest paths."""
    while (path := _augmenting_path(missing, takers, room, flow)) is not None:
        offer_id, steps = path
        units = min(
            missing[offer_id],
            room[steps[-1][1]],
            *(flow[step] for index, step in enumerate(steps) if index % 2),
        )
        missing[offer_id] -= units
        room[steps[-1][1]] -= units
        for index, step in enumerate(steps):
            flow[step] += -units if index % 2 else units


def _augmenting_path(
    missing: dict[UUID, int],
    takers: dict[UUID, list[DemandLine]],
    room: dict[UUID, int],
    flow: dict[tuple[UUID, UUID], int],
) -> tuple[UUID, list[tuple[UUID, UUID]]] | None:
    """A shortest path from an offer with units missing to a line with room, as
    (offer, line) steps that alternately add flow and take it back: breadth first,
    the Edmonds-Karp way. Offers and lines are told apart by a tag (their ids may
    coincide)."""
    givers: dict[UUID, list[UUID]] = defaultdict(list)  # line → offers flowing into it
    for (offer_id, line_id), units in flow.items():
        if units:
            givers[line_id].append(offer_id)
    for start in (offer_id for offer_id, units in missing.items() if units):
        came_from: dict[tuple[str, UUID], tuple[str, UUID] | None] = {("offer", start): None}
        queue = deque([start])
        while queue:
            offer_id = queue.popleft()
            for line in takers[offer_id]:
                if ("line", line.id) in came_from:
                    continue
                came_from[("line", line.id)] = ("offer", offer_id)
                if room[line.id] > 0:
                    return start, _steps(came_from, line.id)
                for other in givers[line.id]:
                    if ("offer", other) not in came_from:
                        came_from[("offer", other)] = ("line", line.id)
                        queue.append(other)
    return None


def _steps(
    came_from: dict[tuple[str, UUID], tuple[str, UUID] | None], end: UUID
) -> list[tuple[UUID, UUID]]:
    """The (offer, line) pairs of the path that ends at line ``end``, from its start."""
    steps: list[tuple[UUID, UUID]] = []
    node: tuple[str, UUID] = ("line", end)
    while (previous := came_from[node]) is not None:
        kind, here = node
        steps.append((previous[1], here) if kind == "line" else (here, previous[1]))
        node = previous
    return steps[::-1]
