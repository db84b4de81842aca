"""Landed costs (price plus carriage of one unit) for one product group, and orders
of the offers by them, so that the planning loops walk a few offers per price class
instead of sorting every offer the class may use: a network has about as many price
classes as offers, so sorting per class grows with the square of its size.

A group's landed costs are one matrix, offers by co-ops, computed and ordered in
numpy: its size is offers times co-ops, which grows faster than the network, so no
per-pair work is done in Python. The loops read a row or a column as a list, made
once when first wanted (only where a few are), a co-op's order as a view of numpy's
ints, and single costs and means with ``.item``. Integers throughout: int64 when no
product or sum can come near its range, else Python ints in an object array (slower,
the same results).

Offers are referred to by their position in the group's price order, co-ops by their
index in the group's sorted co-ops: plain ints, because hashing a UUID runs Python
code and these loops run millions of times on a large network.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from heapq import heappop, heappush
from itertools import compress, count
from operator import mul
from typing import Any
from uuid import UUID

import numpy as np

from services.matcher.engine.allocation.model import Offer, TransportEstimate

Pairs = dict[tuple[int, int], int]  # (offer position, line index) → units
Matrix = Any  # a 2-d numpy array of ints (numpy's own types are not precise enough here)
Vector = Any  # a 1-d numpy array of ints: read one at a time with ``.item``
SAFE_BOUND = 2**62  # int64 holds every landed cost, mean and key below it


class Rates:
    """Transport estimates, öre per kg, by co-op and then by a producer number; and
    the same as a matrix (co-op column, producer number) whose last row and column,
    for co-ops and producers without estimates, are zero: a group's landed costs are
    worked out a co-op's row at a time."""

    def __init__(self, estimates: Iterable[TransportEstimate]) -> None:
        self.producer_number: dict[UUID, int] = {}
        self.by_coop: dict[UUID, dict[int, int]] = defaultdict(dict)
        for estimate in estimates:  # a later estimate for the same pair wins
            number = self.producer_number.setdefault(
                estimate.producer_id, len(self.producer_number)
            )
            self.by_coop[estimate.coop_id][number] = estimate.ore_per_kg
        self.coop_column = {coop_id: column for column, coop_id in enumerate(self.by_coop)}
        self.largest = max(
            (abs(rate) for to_coop in self.by_coop.values() for rate in to_coop.values()),
            default=0,
        )
        dtype = np.int64 if self.largest < SAFE_BOUND else object
        self.matrix = np.zeros((len(self.by_coop) + 1, len(self.producer_number) + 1), dtype)
        for column, to_coop in enumerate(self.by_coop.values()):
            numbers = np.fromiter(to_coop.keys(), np.intp, len(to_coop))
            self.matrix[column, numbers] = list(to_coop.values())

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
    means: Vector | None = None  # by offer position below ``k``: mean landed cost


class LandedCosts:
    """Landed cost in milli-öre per (offer position, co-op index)."""

    def __init__(
        self,
        offers: list[Offer],
        unit_price_milli_ore: list[int],
        coops: list[UUID],
        rates: Rates,
        most_weight: int,
    ) -> None:
        """``most_weight``: no price class's firm units add up to more."""
        grams = [offer.grams_per_unit for offer in offers]
        largest = (
            max(map(abs, unit_price_milli_ore), default=0)
            + max(map(abs, grams), default=0) * rates.largest
        )
        safe = largest * max(most_weight, len(offers) + 1, 1) < SAFE_BOUND
        dtype = np.int64 if safe else object
        numbers = np.fromiter(
            (rates.producer_number.get(offer.producer_id, -1) for offer in offers),
            np.intp,
            len(offers),
        )
        columns = np.fromiter(
            (rates.coop_column.get(coop_id, -1) for coop_id in coops), np.intp, len(coops)
        )
        self.price = np.array(unit_price_milli_ore, dtype).reshape(len(offers))
        # worked out by co-op, each co-op's a contiguous row (the walks and the means
        # read them), in place: every pass over the offers times co-ops counts
        to_coops = np.take(rates.matrix[columns], numbers, axis=1).astype(dtype, copy=False)
        to_coops *= np.array(grams, dtype).reshape(len(offers))
        to_coops += self.price
        self._to_coops: Matrix = to_coops  # row c, co-op c's
        self.matrix: Matrix = to_coops.T  # row p, offer p's
        # no co-op's landed cost from an offer is below its floor, so neither is a
        # mean of them with non-negative weights
        floor = self.matrix.min(axis=1) if coops else np.zeros(len(offers), dtype)
        self.floor: list[int] = floor.tolist()
        self.by_floor: list[int] = np.argsort(floor, kind="stable").tolist()
        self._rows: dict[int, list[int]] = {}
        self._columns: dict[int, list[int]] = {}
        self._orders: Matrix | None = None  # row c: offer positions by landed cost
        self._where: Matrix | None = None  # ``_orders`` inverted: [position, co-op] → index
        self._ranks: dict[int, list[int]] = {}

    def row(self, position: int) -> list[int]:
        """Landed costs from the offer, by co-op index."""
        row = self._rows.get(position)
        if row is None:
            row = self._rows[position] = self.matrix[position].tolist()
        return row

    def column(self, coop: int) -> list[int]:
        """Landed costs to the co-op, by offer position."""
        column = self._columns.get(coop)
        if column is None:
            column = self._columns[coop] = self.matrix[:, coop].tolist()
        return column

    def order_for(self, coop: int) -> Sequence[int]:
        """Offer positions by landed cost to the co-op, ties by position: a view of
        numpy's ints, which become Python ints as they are read. A pass walks about
        half of each co-op's order, and as a list every offer of every co-op would be
        a Python int made and freed (offers times co-ops, per group)."""
        return memoryview(self._all_orders()[coop])

    def _by_coop(self) -> Matrix:
        """Landed costs by co-op, each co-op's a contiguous row: a price class reads
        its co-ops' rows, where the matrix's columns are strided through all of it."""
        return self._to_coops

    def _all_orders(self) -> Matrix:
        if self._orders is None:  # every co-op's at once: one call into numpy
            by_coop = self._by_coop()
            offers = by_coop.shape[1]
            if by_coop.dtype == np.int64:
                # cost * offers + position orders as (cost, position) does, and the
                # bound that chose int64 holds it; a plain sort of it is faster
                # than a stable argsort
                keys = by_coop * offers
                keys += np.arange(offers)
                keys.sort(axis=1)
                keys %= max(offers, 1)
                self._orders = keys.astype(np.intp, copy=False)
            else:
                self._orders = np.argsort(by_coop, axis=1, kind="stable").astype(np.intp)
        return self._orders

    def ranks_of(self, position: int) -> list[int]:
        """By co-op index: where the offer stands in the co-op's ``order_for``."""
        ranks = self._ranks.get(position)
        if ranks is None:
            if self._where is None:  # the orders inverted, every co-op's at once
                orders = self._all_orders()
                coops, offers = orders.shape
                self._where = np.empty((offers, coops), np.intp)
                self._where[orders, np.arange(coops)[:, None]] = np.arange(offers)[None, :]
            ranks = self._ranks[position] = self._where[position].tolist()
        return ranks

    def coops_by_cost(self, position: int) -> list[int]:
        """Co-op indices by landed cost from the offer, ties by index."""
        order: list[int] = np.argsort(self.matrix[position], kind="stable").tolist()
        return order

    def carriage(self, flows: Iterable[Pairs], line_coop: list[int]) -> int:
        """Milli-öre of carriage for the units of (offer position, line index) pairs,
        ``line_coop`` giving each line's co-op index."""
        keys = [key for pairs in flows for key in pairs.items()]
        if not keys:
            return 0
        pairs = np.array([key for key, _ in keys], np.intp)
        positions = pairs[:, 0]
        coops = np.array(line_coop, np.intp)[pairs[:, 1]]
        per_unit = (self.matrix[positions, coops] - self.price[positions]).tolist()
        return sum(map(mul, per_unit, (units for _, units in keys)))

    def by_mean(
        self, price_class: PriceClass, left: list[int], by_floor: list[int], ids: list[UUID]
    ) -> Iterator[int]:
        """Positions of the class's offers with units left, by their landed cost
        averaged over its co-ops (weighted, floor division; the class wants units, so
        its firm quantities add up to more than 0), ties by offer id.

        A best-first search over the offers by floor, which stops as soon as the
        floors pass the best mean found. ``by_floor`` is the caller's copy of
        ``self.by_floor``; offers found without units left are dropped from it, since
        ``left`` only decreases.
        """
        mean = self.means(price_class).item
        floor, k = self.floor, price_class.k
        found: list[tuple[int, UUID, int]] = []
        index = 0
        while True:
            while index < len(by_floor):
                position = by_floor[index]
                if found and floor[position] > found[0][0]:
                    break
                if not left[position]:
                    del by_floor[index]
                    continue
                index += 1
                if position < k:
                    heappush(found, (mean(position), ids[position], position))
            if not found:
                return
            yield heappop(found)[2]

    def means(self, price_class: PriceClass) -> Vector:
        """The class's mean landed cost from each offer it may use, by position; the
        same in every plan, so worked out once. A numpy array, read with ``.item``:
        a class reads a few of its ``k`` means, and there are about as many classes
        as offers, so making every mean a Python int would cost offers squared."""
        if price_class.means is None:
            coops = np.array(price_class.coops, np.intp)
            weights = np.array(price_class.weights, self.matrix.dtype)
            block = self._by_coop()[coops, : price_class.k]
            price_class.means = (weights @ block) // price_class.total
        return price_class.means


Entry = tuple[int, int, int, int]  # (landed cost, offer position, co-op, index in its order)


class Walks:
    """Each co-op's offers in landed order, walked by one ``_flows`` pass.

    ``left`` only decreases during a pass, so an offer once used up stays used up:
    each walk keeps a head, its first offer with units left, that only moves forward.
    The head moves on a lazy ``compress`` of the order by units left, so the offers
    it passes are skipped in C, each (co-op, offer) pair at most once per pass. The
    walks' state is in lists by co-op index: this runs once per (offer, co-op) batch.
    A pair's landed cost is read from the matrix when the walk reaches it: a walk
    reaches a few dozen of its co-op's offers, and a column as a list would make
    every one of them a Python int (offers times co-ops, per group).
    """

    def __init__(self, landed: LandedCosts, left: list[int]) -> None:
        self.landed = landed
        self.left = left
        self.cost = landed.matrix.item  # (position, co-op) → landed cost, a Python int
        coops = landed.matrix.shape[1]
        self.orders: list[Sequence[int] | None] = [None] * coops  # ``landed.order_for``
        self.heads = [0] * coops
        self._alive: list[Iterator[int]] = [iter(()) for _ in range(coops)]

    def next_usable(self, coop: int, start: int, k: int) -> Entry | None:
        """The first offer in the co-op's landed order, from index ``start`` on, that
        is among the first ``k`` and has units left, as a heap entry for ``_receive``."""
        left = self.left
        order = self.orders[coop]
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
                return self.cost(position, coop), position, coop, index
        return None
