"""Stage 1: pool the co-ops' demand into whole producer packs and split them fairly.

Pure and deterministic: the same problem gives the same result, whatever the order of
its lists. The rules, their priority and worked examples are in docs/matching.md.

Lines are matched per (product, temperature class). Within such a group an offer is
eligible for a line when its unit price is at most the line's maximum, so sorting
offers by unit price makes each line's eligible offers a prefix of one list. That
nesting is what lets a greedy pass be both fill-maximal and pro-rata fair:

1. firm targets per line from the supply each prefix can reach (``nested_pro_rata``);
2. units per offer, each line's class taking the lowest landed cost it may use;
3. units per (offer, line), lines taking their cheapest landed pairs;
4. an offer used for part of a pack is completed from tolerance if the lines it
   serves have room, else capped at its whole packs and steps 1-3 are redone, replayed
   from the pass before where the cap changed nothing (``passes``).
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from uuid import UUID

import numpy as np

from services.matcher.engine.allocation.columns import LineColumns
from services.matcher.engine.allocation.group import Ranks, index_group
from services.matcher.engine.allocation.landed import Rates, Vector
from services.matcher.engine.allocation.model import (
    Allocation,
    AllocationProblem,
    AllocationResult,
    DemandLine,
    Offer,
    Purchase,
    Summary,
    UnprovenGroup,
)
from services.matcher.engine.allocation.packing import Solved, solve_group
from services.matcher.engine.allocation.pins import Pinned, apply_pins


def allocate(problem: AllocationProblem) -> AllocationResult:
    """Raises ``PinError`` when the problem's pins can't be honoured."""
    with _collector_paused():
        return _allocate(problem)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while allocating: it would walk every live object of
    a large network (millions: its lines, their ids, the transport estimates) again and
    again as the planning makes and drops its short-lived tuples, a fifth of the time
    at 480,000 lines, and the planning makes no cycles for it to find. Back on as it
    was, whatever happens; another thread's allocation that began meanwhile finds it
    off and leaves it to this one."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _allocate(problem: AllocationProblem) -> AllocationResult:
    rates = Rates(problem.transport)
    pinned = apply_pins(problem, rates)
    # UUIDs order by their ``int``; comparing the ints skips UUID.__lt__'s Python code,
    # and so does hashing them (UUID.__hash__ is Python code too)
    offers_by_id = sorted(problem.offers, key=lambda o: o.id.int)
    id_order = _id_order([line.id.int for line in problem.lines])
    line_order: list[int] = id_order.tolist()
    lines_by_id = [pinned.lines[i] for i in line_order]
    columns = LineColumns(pinned.lines)
    offer_rank = {offer.id.int: rank for rank, offer in enumerate(offers_by_id)}
    offers_by_product: dict[int, list[Offer]] = defaultdict(list)
    for offer in offers_by_id:
        offers_by_product[offer.product_id.int].append(offer)

    outcome = _Outcome()
    for (product, temperature), in_group in columns.by_group(id_order):
        ranks = in_group.tolist()  # the group's lines' ranks, in id order
        lines = list(map(lines_by_id.__getitem__, ranks))
        group = index_group(
            lines,
            offers_by_product.get(product, []),
            temperature,
            problem.delivery_date,
            rates,
            Ranks(offer_rank, ranks, len(lines_by_id)),
            pinned.units_by_offer,
            fields=columns.fields(id_order[in_group]),
        )
        outcome.product_groups += 1
        solved = solve_group(group)
        outcome.add(solved)
        if solved.unproven is not None:
            outcome.unproven_groups.append(
                UnprovenGroup(
                    product_id=lines[0].product_id, temperature=temperature, why=solved.unproven
                )
            )
    outcome.add_pins(pinned, rates, offers_by_id, lines_by_id)
    return outcome.result(problem, offers_by_id, lines_by_id, id_order)


def _id_order(ids: list[int]) -> Vector:
    """Indices of ``ids`` (UUIDs' 128-bit ints) in their order, ties in index order.
    numpy sorts them by their high 64 bits, which differ between any two ids made at
    random, and by both halves only where two high halves are equal: sorting the
    Python ints compares each pair in Python's general int code, n log n times on
    hundreds of thousands of lines."""
    high = np.fromiter((i >> 64 for i in ids), np.uint64, len(ids))
    order = np.argsort(high)  # not stable, and need not be where no two are equal
    ranked = high[order]
    if not np.any(ranked[1:] == ranked[:-1]):
        return order
    low = np.fromiter((i & _LOW_BITS for i in ids), np.uint64, len(ids))
    return np.lexsort((low, high))


_LOW_BITS = 2**64 - 1


def _aligned(keys: Vector, some: Vector, units: Vector) -> Vector:
    """``units`` by the index of their key in ``keys`` (both sorted, ``some`` each once),
    0 where ``keys`` has a key ``some`` lacks; a key of ``some`` not in ``keys`` (its
    pair got no units) is dropped."""
    aligned = np.zeros(len(keys), np.int64)
    at: Vector = np.searchsorted(keys, some)
    found: Vector = at < len(keys)
    found[found] = keys[at[found]] == some[found]
    aligned[at[found]] = units[found]
    return aligned


def _summed(parts: list[tuple[Vector, Vector]]) -> tuple[Vector, Vector]:
    """Every pair's key once, in order, with its units in ``parts`` added up: numpy
    sorts the keys, where sorting hundreds of thousands of (key, units) tuples in
    Python costs more than the network grows."""
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys = np.concatenate([keys for keys, _ in parts])
    units = np.concatenate([units for _, units in parts])
    order = np.argsort(keys, kind="stable")
    keys, units = keys[order], units[order]
    if not len(keys):
        return keys, units
    first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    return keys[first], np.add.reduceat(units, first)


@dataclass
class _Outcome(Solved):
    """Every group's part, gathered into one result."""

    product_groups: int = 0
    unproven_groups: list[UnprovenGroup] = field(default_factory=list)

    def add(self, solved: Solved) -> None:
        self.flows.extend(solved.flows)
        self.tolerance.extend(solved.tolerance)
        self.packs.update(solved.packs)
        self.shortfalls.extend(solved.shortfalls)
        self.carriage_milli_ore += solved.carriage_milli_ore

    def add_pins(
        self,
        pinned: Pinned,
        rates: Rates,
        offers_by_id: list[Offer],
        lines_by_id: list[DemandLine],
    ) -> None:
        if not pinned.flows:
            return
        offer_ints = [offer.id.int for offer in offers_by_id]
        line_ints = [line.id.int for line in lines_by_id]
        stride = len(lines_by_id)

        def key(pair: tuple[UUID, UUID]) -> int:
            offer = bisect_left(offer_ints, pair[0].int)
            return offer * stride + bisect_left(line_ints, pair[1].int)

        for pair, units in pinned.flows.items():
            offer, line = offers_by_id[key(pair) // stride], lines_by_id[key(pair) % stride]
            rate = rates.rate(offer.producer_id, line.coop_id)
            self.carriage_milli_ore += units * offer.grams_per_unit * rate
        dtype = np.int64 if len(offers_by_id) * stride < 2**63 else object
        for pins, into in ((pinned.flows, self.flows), (pinned.tolerance, self.tolerance)):
            keys = np.array([key(pair) for pair in pins], dtype).reshape(-1)
            into.append((keys, np.array(list(pins.values()), np.int64).reshape(-1)))

    def result(
        self,
        problem: AllocationProblem,
        offers_by_id: list[Offer],
        lines_by_id: list[DemandLine],
        line_order: Vector,
    ) -> AllocationResult:
        """Output is in id order: offers' and lines' ranks in it, and a pair's one int
        key (offer rank, then line rank), sort the same way as their ids."""
        stride = len(lines_by_id)
        purchases = [
            Purchase(
                offer_id=offers_by_id[rank].id,
                packs=packs,
                pack_units=offers_by_id[rank].pack_units,
                price_per_pack_ore=offers_by_id[rank].price_per_pack_ore,
            )
            for rank, packs in sorted(self.packs.items())
            if packs > 0
        ]
        keys, units = _summed(self.flows)
        given = units > 0
        keys, units = keys[given], units[given]
        # ``//`` and ``%``, not ``np.divmod``: keys beyond int64 are in object arrays
        offer_ranks, line_ranks = keys // max(stride, 1), keys % max(stride, 1)
        got = np.zeros(stride, np.int64)  # units by line rank
        np.add.at(got, line_ranks.astype(np.intp), units)
        tolerance = _aligned(keys, *_summed(self.tolerance))
        offer_ids = [offer.id for offer in offers_by_id]
        line_ids = [line.id for line in lines_by_id]
        allocations = [
            Allocation(offer_id=offer_id, line_id=line_id, units=n, tolerance_units=extra)
            for offer_id, line_id, n, extra in zip(
                map(offer_ids.__getitem__, offer_ranks.tolist()),
                map(line_ids.__getitem__, line_ranks.tolist()),
                units.tolist(),
                tolerance.tolist(),
                strict=True,
            )
        ]
        # by line rank, as the problem has them (pins took some of the engine's)
        firm = np.fromiter((line.firm_quantity for line in problem.lines), np.int64, stride)
        firm_filled = int(np.minimum(got, firm[line_order]).sum()) if stride else 0
        shortfalls = [shortfall for _, shortfall in sorted(self.shortfalls, key=itemgetter(0))]
        return AllocationResult(
            purchases=purchases,
            allocations=allocations,
            shortfalls=shortfalls,
            summary=Summary(
                firm_units_demanded=sum(line.firm_quantity for line in problem.lines),
                firm_units_filled=firm_filled,
                tolerance_units=int(tolerance.sum()),
                packs_bought=sum(p.packs for p in purchases),
                goods_cost_ore=sum(p.packs * p.price_per_pack_ore for p in purchases),
                transport_estimate_ore=self.carriage_milli_ore // 1000,
                lines_filled=len(problem.lines) - len(shortfalls),
                lines_short=len(shortfalls),
                product_groups=self.product_groups,
                unproven_groups=self.unproven_groups,
            ),
        )
