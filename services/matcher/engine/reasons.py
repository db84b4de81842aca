"""Why a line did not get its whole firm quantity: the reason and its numbers."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING
from uuid import UUID

from services.matcher.engine.model import DemandLine, Reason, Shortfall

if TYPE_CHECKING:
    from services.matcher.engine.packing import ProductGroup


def shortfalls(
    group: ProductGroup,
    targets: dict[UUID, int],
    supply_short: set[UUID],
    caps: dict[UUID, int],
    flows: dict[tuple[UUID, UUID], int],
) -> list[Shortfall]:
    got: dict[UUID, int] = defaultdict(int)
    for (_, line_id), units in flows.items():
        got[line_id] += units
    shortfalls = []
    for line in group.lines:
        short = line.firm_quantity - min(got[line.id], line.firm_quantity)
        if short > 0:
            shortfalls.append(_why(group, line, short, got, supply_short, caps))
    return shortfalls


def _why(
    group: ProductGroup,
    line: DemandLine,
    short: int,
    got: dict[UUID, int],
    supply_short: set[UUID],
    caps: dict[UUID, int],
) -> Shortfall:
    def because(reason: Reason, **detail: int | None) -> Shortfall:
        return Shortfall(line_id=line.id, units_short=short, reason=reason, **detail)

    if not group.listed:
        return because("no_offer")
    if not group.dated:
        return because("validity")
    if not group.fitting:
        return because("temperature")
    if not group.offers:
        return because("supply_short", pro_rata_permille=0)
    if group.prefix[line.id] == 0:
        cheapest = min(-(-o.price_per_pack_ore // o.pack_units) for o in group.offers)
        return because("price_above_max", cheapest_unit_price_ore=cheapest)
    if line.id in supply_short:
        return because("supply_short", pro_rata_permille=got[line.id] * 1000 // line.firm_quantity)
    need = _to_next_pack(group, line, caps, got)
    return because("pack_not_completed", units_to_next_pack=need)


def _to_next_pack(
    group: ProductGroup, line: DemandLine, caps: dict[UUID, int], got: dict[UUID, int]
) -> int:
    """How many more units (firm or tolerance) the network would have to order
    for one more pack of an offer this line may use that has packs left."""
    needs = []
    for offer in group.offers[: group.prefix[line.id]]:
        if caps[offer.id] >= group.full_cap(offer):
            continue
        position = group.position[offer.id]
        open_units = sum(
            other.firm_quantity + other.tolerance - got[other.id]
            for other in group.lines
            if group.prefix[other.id] > position
        )
        needs.append(max(1, offer.pack_units - open_units))
    return min(needs, default=1)
