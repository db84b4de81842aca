"""Coordinators' pins: allocations fixed before the engine runs.

A pin gives a line some units of an offer. The engine takes pinned units as given: a
pinned line asks only for what the pins leave of its firm quantity and tolerance, and
a pinned offer has fewer units left, with the rest of its last pinned pack to be
completed by the other lines (``ProductGroup`` takes those units first: that pack is
bought already).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from uuid import UUID

import msgspec

from services.matcher.engine.model import AllocationProblem, DemandLine, Offer, PinError


@dataclass
class Pinned:
    """What the pins take, and the lines as the engine still sees them."""

    lines: list[DemandLine]
    offset: dict[UUID, int] = field(default_factory=dict)  # offer → pinned units
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


def apply_pins(problem: AllocationProblem) -> Pinned:
    """The pinned units, and each line with what its pins leave it to ask for."""
    if errors := pin_problems(problem):
        raise PinError("; ".join(errors))
    lines = {line.id: line for line in problem.lines}
    pinned = Pinned(lines=[])
    per_line: dict[UUID, int] = defaultdict(int)
    for pin in sorted(problem.pins, key=lambda pin: (pin.line_id, pin.offer_id)):
        line = lines[pin.line_id]
        firm_left = max(0, line.firm_quantity - per_line[line.id])
        pinned.offset[pin.offer_id] = pinned.offset.get(pin.offer_id, 0) + pin.units
        pinned.flows[(pin.offer_id, pin.line_id)] = pin.units
        if pin.units > firm_left:
            pinned.tolerance[(pin.offer_id, pin.line_id)] = pin.units - firm_left
        per_line[line.id] += pin.units
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
