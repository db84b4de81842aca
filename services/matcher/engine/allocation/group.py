"""One product group, indexed once: the lines of one product and temperature class,
the offers they may use in price order, and the views of them the planning reads.

``index_group`` builds it and it does not change: ``packing`` plans with it,
``completion`` and ``reasons`` read the parts they need, and none of them imports
another to get at it. Offers are referred to by their position in the price order and
lines by their index in ``lines``: the loops run millions of times on a large network,
and hashing a UUID runs Python code where hashing an int does not.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from itertools import chain
from math import lcm
from typing import Literal
from uuid import UUID

import numpy as np

from services.matcher.engine.allocation.landed import LandedCosts, Pairs, PriceClass, Rates, Vector
from services.matcher.engine.allocation.model import DemandLine, Offer, Temperature
from services.matcher.engine.common.integers import ceil_div

NoOffer = Literal["no_offer", "validity", "temperature"]


@dataclass(frozen=True, slots=True)
class Ranks:
    """Where a group's offers and lines stand in the whole problem's id order: its
    results are keyed by them, a pair by one int (offer rank * stride + line rank)."""

    offers: dict[int, int]  # an offer id's ``int`` → its rank
    lines: list[int]  # by the group's line index: its rank
    stride: int  # lines in the problem


@dataclass(frozen=True, slots=True)
class GroupIndex:
    """The lines of one product and temperature class, and the offers they may use.

    Firm quantities are never negative (the schema wants them positive, pins leave at
    least zero); the walks in ``landed`` rely on it.
    """

    lines: list[DemandLine]
    # by line index, read once: a large network's lines lie scattered in memory
    firm_quantities: list[int]
    tolerances: list[int]
    offers: list[Offer]  # valid, of the class, with packs: in unit price order
    offer_ids: list[UUID]  # by offer position
    no_offer_reason: NoOffer | None  # why no offer is valid on the day in the class, if none
    line_prefix: list[int]  # by line index: how many offers its maximum price allows
    line_coop: list[int]  # by line index: its co-op's index in the sorted co-ops
    coop_lines: list[list[int]]  # by co-op index: its line indices
    unit_price_milli_ore: list[int]  # by offer position, rounded down
    pinned_units: dict[UUID, int]  # by offer: whole packs (pins.py completes the last one)
    pinned_list: list[int]  # the same by offer position
    full_caps: dict[UUID, int]  # by offer: the units the engine may hand out, all but pinned
    landed: LandedCosts
    price_classes: list[PriceClass]  # by prefix, narrowest first
    firm_demand: list[tuple[int, int, int]]  # (line index, prefix, firm quantity), prefix > 0
    # (line index, prefix, firm quantity, tolerance) of the lines some offer may complete
    # a pack from: tolerance and prefix > 0 (``completion`` reads only these, each pass)
    tolerant: list[tuple[int, int, int, int]]
    offer_ranks: list[int]  # by offer position: its rank in the problem's id order
    line_ranks: list[int]  # by line index: its rank in the problem's id order
    stride: int  # a pair's key is offer rank * stride + line rank

    def keyed(self, flows: Pairs) -> Keyed:
        """The pairs' keys (offer rank * stride + line rank), line indices and units,
        as numpy arrays: a key per pair in Python made and hashed an int per
        allocation, and the result sorts them in numpy anyway. Keys beyond int64 (no
        network held in memory comes near) are Python ints in object arrays, with the
        same results."""
        pairs = np.fromiter(chain.from_iterable(flows), np.intp, 2 * len(flows)).reshape(-1, 2)
        units = np.fromiter(flows.values(), np.int64, len(flows))
        bound = (max(self.offer_ranks, default=0) + 1) * self.stride
        dtype = np.int64 if bound < 2**63 else object
        offer_ranks = np.array(self.offer_ranks, dtype).reshape(-1)
        line_ranks = np.array(self.line_ranks, dtype).reshape(-1)
        keys = offer_ranks[pairs[:, 0]] * self.stride + line_ranks[pairs[:, 1]]
        return Keyed(keys, pairs[:, 1], units)


@dataclass(frozen=True, slots=True)
class Keyed:
    """Units per (offer, line) pair as numpy arrays of one length: each pair's key in
    the problem's id order, its line's index in the group, its units."""

    keys: Vector
    lines: Vector
    units: Vector


@dataclass(frozen=True, slots=True)
class LineFields:
    """The fields of a group's lines that indexing reads, by line index: its maximum
    price, its co-op's key (ordered as the co-ops' ids), its firm quantity and
    tolerance; and the co-ops' ids by key."""

    limits: list[int | None]
    coop_keys: list[int]
    firm: list[int]
    tolerance: list[int]
    coops: dict[int, UUID]


def index_group(
    lines: list[DemandLine],
    listed: list[Offer],
    temperature: Temperature,
    delivery_date: dt.date,
    rates: Rates,
    ranks: Ranks,
    pinned: dict[UUID, int] | None = None,
    fields: LineFields | None = None,
) -> GroupIndex:
    """``listed`` are the offers of the group's product; ``pinned`` the units the
    coordinator's pins take of them; ``fields`` the lines' fields, when the caller
    has read them already (else read here)."""
    dated = [o for o in listed if o.valid_from <= delivery_date <= o.valid_until]
    fitting = [o for o in dated if o.temperature == temperature]
    usable = [o for o in fitting if o.packs_available > 0 and o.pack_units > 0]
    # price order makes every line's eligible offers a prefix of this list; a unit price
    # times the pack sizes' least common multiple is a whole number, so the order is
    # exact without a Fraction per offer (ties by id, its int for speed)
    common = lcm(*{o.pack_units for o in usable})
    offers = sorted(
        usable, key=lambda o: (o.price_per_pack_ore * (common // o.pack_units), o.id.int)
    )
    # a line's maximum is whole öre, so an offer is within it exactly when its unit
    # price rounded up is; those round-ups are in price order too
    whole_ore = [ceil_div(o.price_per_pack_ore, o.pack_units) for o in offers]
    # each line's fields read once, into lists by line index: on a large network the
    # lines lie scattered in memory, and every read of one costs a cache miss
    fields = fields or _fields(lines)
    limits, coop_keys = fields.limits, fields.coop_keys
    firm, tolerance = fields.firm, fields.tolerance
    everything = len(offers)
    line_prefix = [
        everything if limit is None else bisect_right(whole_ore, limit) for limit in limits
    ]
    unit_price_milli_ore = [o.price_per_pack_ore * 1000 // o.pack_units for o in offers]
    pinned_units = {o.id: (pinned or {}).get(o.id, 0) for o in offers}
    # co-ops by id, keyed by ints in the same order (hashing a UUID runs Python code)
    coop_ids = fields.coops
    coop_keys_sorted = sorted(coop_ids)
    coops = [coop_ids[key] for key in coop_keys_sorted]
    coop_index = {key: index for index, key in enumerate(coop_keys_sorted)}
    line_coop = [coop_index[key] for key in coop_keys]
    coop_lines: list[list[int]] = [[] for _ in coops]
    for index, coop in enumerate(line_coop):
        coop_lines[coop].append(index)
    no_offer_reason: NoOffer | None = None
    if not fitting:
        no_offer_reason = "no_offer" if not listed else "validity" if not dated else "temperature"
    return GroupIndex(
        lines=lines,
        firm_quantities=firm,
        tolerances=tolerance,
        offers=offers,
        offer_ids=[o.id for o in offers],
        no_offer_reason=no_offer_reason,
        line_prefix=line_prefix,
        line_coop=line_coop,
        coop_lines=coop_lines,
        unit_price_milli_ore=unit_price_milli_ore,
        pinned_units=pinned_units,
        pinned_list=[pinned_units[o.id] for o in offers],
        full_caps={o.id: o.pack_units * o.packs_available - pinned_units[o.id] for o in offers},
        landed=LandedCosts(
            offers,
            unit_price_milli_ore,
            coops,
            rates,
            most_weight=sum(firm),
        ),
        price_classes=_price_classes(firm, line_prefix, line_coop),
        firm_demand=[
            (index, k, units)
            for index, (units, k) in enumerate(zip(firm, line_prefix, strict=True))
            if k > 0
        ],
        tolerant=[
            (index, k, units, extra)
            for index, (units, extra, k) in enumerate(
                zip(firm, tolerance, line_prefix, strict=True)
            )
            if k > 0 and extra > 0
        ],
        offer_ranks=[ranks.offers[offer.id.int] for offer in offers],
        line_ranks=ranks.lines,
        stride=ranks.stride,
    )


def _fields(lines: list[DemandLine]) -> LineFields:
    """The lines' fields, co-ops keyed by their ids' ints."""
    if not lines:
        return LineFields([], [], [], [], {})
    rows = [
        (
            line.max_unit_price_ore,
            line.coop_id,
            line.coop_id.int,
            line.firm_quantity,
            line.tolerance,
        )
        for line in lines
    ]
    limits, coops, keys, firm, tolerance = (list(column) for column in zip(*rows, strict=True))
    return LineFields(limits, keys, firm, tolerance, dict(zip(keys, coops, strict=True)))


def _price_classes(
    firm: list[int], line_prefix: list[int], line_coop: list[int]
) -> list[PriceClass]:
    """The lines grouped by prefix, with their co-ops weighted by firm quantity."""
    by_prefix: dict[int, list[int]] = defaultdict(list)
    for index, k in enumerate(line_prefix):
        if k > 0:
            by_prefix[k].append(index)
    classes = []
    for k, members in sorted(by_prefix.items(), key=lambda item: item[0]):
        weights: dict[int, int] = defaultdict(int)
        for index in members:
            weights[line_coop[index]] += firm[index]
        classes.append(
            PriceClass(
                k,
                members,
                tuple(weights.keys()),
                tuple(weights.values()),
                sum(weights.values()),
            )
        )
    return classes
