"""The problem's lines read once, in the order they came, into columns by line.

``allocate`` visits lines in id order, which on a large network is a random walk
through memory: every line read that way costs a cache miss (a plain sum over 480,000
lines takes five times as long in id order as in list order). So each field the
grouping and indexing read is read here in list order, into numpy where it is an
int, and a group's fields are taken from the columns by index, in C.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from services.matcher.engine.allocation.group import LineFields
from services.matcher.engine.allocation.landed import Vector
from services.matcher.engine.allocation.model import DemandLine, Temperature


class LineColumns:
    """By line, in the problem's order: its group, maximum price, co-op, firm quantity
    and tolerance."""

    def __init__(self, lines: Sequence[DemandLine]) -> None:
        products = [line.product_id.int for line in lines]
        temperatures = [line.temperature for line in lines]
        coops = [line.coop_id.int for line in lines]
        limits = [line.max_unit_price_ore for line in lines]
        # products, temperatures and co-ops numbered in the order of their keys, so
        # that numbers sort as the keys do; a group's number is its product's and
        # temperature's together
        product_keys, temperature_keys = sorted(set(products)), sorted(set(temperatures))
        self.group_keys = [(p, t) for p in product_keys for t in temperature_keys]
        product_number = {key: n for n, key in enumerate(product_keys)}
        temperature_number = {key: n for n, key in enumerate(temperature_keys)}
        product_numbers = np.array([product_number[key] for key in products], np.intp)
        temperature_numbers = np.array([temperature_number[key] for key in temperatures], np.intp)
        self.groups = product_numbers.reshape(-1) * len(temperature_keys) + temperature_numbers
        coop_ids = dict(zip(coops, (line.coop_id for line in lines), strict=True))
        self.coop_ids = [coop_ids[key] for key in sorted(coop_ids)]
        coop_number = {key: n for n, key in enumerate(sorted(coop_ids))}
        self.coops = np.array([coop_number[key] for key in coops], np.intp).reshape(-1)
        self.priced = np.array([limit is not None for limit in limits], bool).reshape(-1)
        self.limits = _ints([0 if limit is None else limit for limit in limits])
        self.firm = _ints([line.firm_quantity for line in lines])
        self.tolerance = _ints([line.tolerance for line in lines])

    def by_group(self, line_order: Vector) -> Iterator[tuple[tuple[int, Temperature], Vector]]:
        """Each group's key and its lines' ranks in id order (``line_order``: the
        lines' indices in id order), groups in key order."""
        groups = self.groups[line_order]
        ranks = np.argsort(groups, kind="stable")
        ends = np.cumsum(np.bincount(groups, minlength=len(self.group_keys)))
        start = 0
        for key, end in zip(self.group_keys, ends.tolist(), strict=True):
            if end > start:  # a product has lines of some temperatures only
                yield key, ranks[start:end]
            start = end

    def fields(self, indices: Vector) -> LineFields:
        """The fields of the lines at ``indices`` (in the problem's order)."""
        priced = self.priced[indices].tolist()
        limits = [
            limit if has else None
            for limit, has in zip(self.limits[indices].tolist(), priced, strict=True)
        ]
        coop_keys = self.coops[indices].tolist()
        return LineFields(
            limits=limits,
            coop_keys=coop_keys,
            firm=self.firm[indices].tolist(),
            tolerance=self.tolerance[indices].tolist(),
            coops={key: self.coop_ids[key] for key in set(coop_keys)},
        )


def _ints(values: list[int]) -> Vector:
    """int64, or Python ints in an object array where one is beyond it."""
    try:
        return np.array(values, np.int64).reshape(-1)
    except OverflowError:
        return np.array(values, object).reshape(-1)
