"""Who pays for a route: each co-op in proportion to what serving it alone would cost.

The producers' part (a network setting, in per mille of the route's cost) is split
among the producers by the weight they send on the route. The co-ops' part is split
in proportion to their stand-alone costs, never above them: if a route costs more
than all its co-ops' stand-alone costs together (a poor route), the co-ops pay their
stand-alone costs and the rest is left to the network, reported as ``unshared_ore``.
All in integer öre that add up exactly to the route's cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

import msgspec

from services.matcher.engine.common.fair import largest_remainder


class CostShares(msgspec.Struct, frozen=True, kw_only=True):
    coops: dict[UUID, int]
    producers: dict[UUID, int]
    unshared_ore: int  # paid by the network: cost beyond every co-op's stand-alone cost


def share_route_cost(
    cost_ore: int,
    standalone_ore: Mapping[UUID, int],
    producer_grams: Mapping[UUID, int],
    producer_share_permille: int = 0,
) -> CostShares:
    """Split one route's cost; ``standalone_ore`` has every co-op the route serves."""
    sends = any(grams > 0 for grams in producer_grams.values())
    producers_part = cost_ore * producer_share_permille // 1000 if sends else 0
    coops_part = cost_ore - producers_part
    ceiling = sum(standalone_ore.values())
    paid = min(coops_part, ceiling)
    coops = largest_remainder(paid, sorted(standalone_ore.items()))
    producers = (
        largest_remainder(producers_part, sorted(producer_grams.items())) if producers_part else {}
    )
    return CostShares(coops=coops, producers=producers, unshared_ore=coops_part - paid)
