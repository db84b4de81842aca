"""Why a line did not get its whole firm quantity: the reason and its numbers."""

from __future__ import annotations

from uuid import UUID

from services.matcher.engine.allocation.group import GroupIndex
from services.matcher.engine.allocation.model import DemandLine, Reason, Shortfall
from services.matcher.engine.common.integers import ceil_div


def shortfalls(
    group: GroupIndex,
    supply_short: set[int],
    caps: dict[UUID, int],
    got: list[int],
) -> list[tuple[int, Shortfall]]:
    """(line index, shortfall) for each line of the group short of its firm quantity,
    in line order; ``supply_short`` holds the indices of lines short of supply, ``got``
    the units each line got, firm and tolerance, by index."""
    shortfalls = []
    why = _Why(group, got, supply_short, caps)
    for index, firm in enumerate(group.firm_quantities):
        short = firm - min(got[index], firm)
        if short > 0:
            shortfalls.append((index, why(index, group.lines[index], short)))
    return shortfalls


class _Why:
    """The reason for one short line; what is the same for every line of the group
    is worked out once (a large group has thousands of short lines)."""

    def __init__(
        self,
        group: GroupIndex,
        got: list[int],
        supply_short: set[int],
        caps: dict[UUID, int],
    ) -> None:
        self.group = group
        self.got = got  # by line index
        self.supply_short = supply_short
        self.caps = caps
        self._cheapest: int | None = None
        self._open_above: list[int] | None = None

    def __call__(self, index: int, line: DemandLine, short: int) -> Shortfall:
        """Why the line at ``index`` is ``short`` units short."""
        group, got = self.group, self.got

        def because(reason: Reason, **detail: int | None) -> Shortfall:
            return Shortfall(line_id=line.id, units_short=short, reason=reason, **detail)

        if group.no_offer_reason is not None:
            return because(group.no_offer_reason)
        if not group.offers:
            return because("supply_short", pro_rata_permille=0)
        prefix = group.line_prefix[index]
        if prefix == 0:
            if self._cheapest is None:
                self._cheapest = min(
                    ceil_div(o.price_per_pack_ore, o.pack_units) for o in group.offers
                )
            return because("price_above_max", cheapest_unit_price_ore=self._cheapest)
        if index in self.supply_short:
            permille = got[index] * 1000 // line.firm_quantity
            return because("supply_short", pro_rata_permille=permille)
        return because("pack_not_completed", units_to_next_pack=self._to_next_pack(prefix))

    def _to_next_pack(self, prefix: int) -> int:
        """How many more units (firm or tolerance) the network would have to order
        for one more pack, with packs left, of the first ``prefix`` offers (those a
        line of that prefix may use)."""
        group = self.group
        if self._open_above is None:
            self._open_above = self._open_units()
        needs = []
        for position, offer in enumerate(group.offers[:prefix]):
            if self.caps[offer.id] >= group.full_caps[offer.id]:
                continue
            needs.append(max(1, offer.pack_units - self._open_above[position]))
        return min(needs, default=1)

    def _open_units(self) -> list[int]:
        """Per offer position p, the units the lines that may use offer p could
        still take (firm plus tolerance, less what they got)."""
        group = self.group
        by_prefix = [0] * (len(group.offers) + 1)
        for firm, tolerance, prefix, got in zip(
            group.firm_quantities, group.tolerances, group.line_prefix, self.got, strict=True
        ):
            by_prefix[prefix] += firm + tolerance - got
        above = [0] * (len(group.offers) + 1)  # above[p]: lines of prefix > p
        for position in range(len(group.offers) - 1, -1, -1):
            above[position] = above[position + 1] + by_prefix[position + 1]
        return above
