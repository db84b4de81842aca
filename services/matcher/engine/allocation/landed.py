"""Landed costs (price plus carriage of one unit) for one product group, and orders
of the offers by them, so that the planning loops walk a few offers per price class
instead of sorting every offer the class may use: a network has about as many price
classes as offers, so sorting per class grows with the square of its size.

Offers are referred to by their position in the group's price order, co-ops by their
index in the group's sorted co-ops: plain ints, because hashing a UUID runs Python
code and these loops run millions of times on a large network.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from heapq import heappop, heappush
from itertools import compress, count, repeat
from operator import add, mul
from uuid import UUID

from services.matcher.engine.allocation.model import Offer, TransportEstimate


class Rates:
    """Transport estimates, öre per kg, by co-op and then by a producer number."""

    def __init__(self, estimates: Iterable[TransportEstimate]) -> None:
        self.producer_number: dict[UUID, int] = {}
        self.by_coop: dict[UUID, dict[int, int]] = defaultdict(dict)
        for estimate in estimates:  # a later estimate for the same pair wins
            number = self.producer_number.setdefault(
                estimate.producer_id, len(self.producer_number)
            )
            self.by_coop[estimate.coop_id][number] = estimate.ore_per_kg

    def rate(self, producer_id: UUID, coop_id: UUID) -> int:
        """öre per kg from a producer to a co-op; 0 when there is no estimate."""
        number = self.producer_number.get(producer_id, -1)
        return self.by_coop.get(coop_id, {}).get(number, 0)


@dataclass
class PriceClass:
    """The lines that may use the first ``k`` offers of the price order, and their
    co-ops weighted by firm quantity (for the offers' mean landed cost)."""

    k: int
    members: list[int]  # line indices
    coops: tuple[int, ...]
    weights: tuple[int, ...]  # firm units per co-op in ``coops``
    total: int
    means: dict[int, int] = field(default_factory=dict)  # offer position → mean landed cost


class LandedCosts:
    """Landed cost in milli-öre per (offer position, co-op index)."""

    def __init__(
        self,
        offers: list[Offer],
        unit_price_milli_ore: list[int],
        coops: list[UUID],
        rates: Rates,
    ) -> None:
        numbers = [rates.producer_number.get(offer.producer_id, -1) for offer in offers]
        grams = [offer.grams_per_unit for offer in offers]
        # offers times co-ops values: map and zip keep the loops in C
        self.columns: list[list[int]] = []  # co-op index → offer position → landed cost
        for coop_id in coops:
            to_coop = rates.by_coop.get(coop_id, {})
            carriage = map(mul, map(to_coop.get, numbers, repeat(0)), grams)
            self.columns.append(list(map(add, unit_price_milli_ore, carriage)))
        self.rows: list[tuple[int, ...]] = list(zip(*self.columns, strict=True))
        if not coops:
            self.rows = [() for _ in offers]
        # no co-op's landed cost from an offer is below its floor, so neither is a
        # mean of them with non-negative weights
        self.floor = [min(row, default=0) for row in self.rows]
        self.by_floor = sorted(range(len(offers)), key=self.floor.__getitem__)
        self._orders: dict[int, list[int]] = {}

    def order_for(self, coop: int) -> list[int]:
        """Offer positions by landed cost to the co-op, ties by position."""
        if coop not in self._orders:
            column = self.columns[coop]
            self._orders[coop] = sorted(range(len(column)), key=column.__getitem__)
        return self._orders[coop]

    def coops_by_cost(self, position: int) -> list[int]:
        """Co-op indices by landed cost from the offer, ties by index."""
        row = self.rows[position]
        return sorted(range(len(row)), key=row.__getitem__)

    def by_mean(
        self, price_class: PriceClass, left: list[int], by_floor: list[int], ids: list[UUID]
    ) -> Iterator[int]:
        """Positions of the class's offers with units left, by their landed cost
        averaged over its co-ops (weighted, floor division; the class wants units, so
        its firm quantities add up to more than 0), ties by offer id.

        A best-first search: an offer's mean is computed only once its floor is no
        more than the best mean found so far. ``by_floor`` is the caller's copy of
        ``self.by_floor``; offers found without units left are dropped from it, since
        ``left`` only decreases.
        """
        found: list[tuple[int, UUID, int]] = []
        index = 0
        while True:
            while index < len(by_floor):
                position = by_floor[index]
                if found and self.floor[position] > found[0][0]:
                    break
                if not left[position]:
                    del by_floor[index]
                    continue
                index += 1
                if position < price_class.k:
                    heappush(found, (self.mean(price_class, position), ids[position], position))
            if not found:
                return
            yield heappop(found)[2]

    def mean(self, price_class: PriceClass, position: int) -> int:
        """The class's mean landed cost from an offer; the same in every plan."""
        mean = price_class.means.get(position)
        if mean is None:
            row = self.rows[position]
            costs = map(row.__getitem__, price_class.coops)
            mean = sum(map(mul, costs, price_class.weights)) // price_class.total
            price_class.means[position] = mean
        return mean


class Walks:
    """Each co-op's offers in landed order, walked by one ``_flows`` pass.

    ``left`` only decreases during a pass, so an offer once used up stays used up:
    each walk keeps a head, its first offer with units left, that only moves forward.
    The head moves on a lazy ``compress`` of the order by units left, so the offers
    it passes are skipped in C, each (co-op, offer) pair at most once per pass.
    """

    def __init__(self, landed: LandedCosts, left: list[int]) -> None:
        self.landed = landed
        self.left = left
        self.orders: dict[int, list[int]] = {}  # co-op → ``landed.order_for(co-op)``
        self.heads: dict[int, int] = {}
        self._alive: dict[int, Iterator[int]] = {}  # co-op → indices of offers with units

    def next_usable(self, coop: int, start: int, k: int) -> int | None:
        """Index in ``orders[coop]`` of the first offer from ``start`` on that is among
        the first ``k`` and has units left."""
        left = self.left
        order = self.orders.get(coop)
        if order is None:
            order = self.orders[coop] = self.landed.order_for(coop)
            self._alive[coop] = compress(count(), map(left.__getitem__, order))
            self.heads[coop] = next(self._alive[coop], len(order))
        head, end = self.heads[coop], len(order)
        if head < end and not left[order[head]]:
            head = self.heads[coop] = next(self._alive[coop], end)
        for index in range(max(start, head), end):
            position = order[index]
            if position < k and left[position]:
                return index
        return None
