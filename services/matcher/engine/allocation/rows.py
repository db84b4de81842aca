"""The engine's problem from a cycle's snapshot rows, for the matcher and the API alike.

Rows are plain mappings (a database record is one) with the snapshot's column names
(``shared/db/runs.py``: ``snapshot_offers``, ``snapshot_lines``); nothing here reads
them from anywhere. The API judges a coordinator's pins on the same problem the run
will see, so both build it here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any, Protocol
from uuid import UUID

from services.matcher.engine.allocation.model import AllocationProblem, DemandLine, Offer, Pin
from services.matcher.engine.allocation.pins import pin_problems


class Row(Protocol):
    """A snapshot row: a database record, or a dict with the same keys."""

    def __getitem__(self, column: str, /) -> Any: ...


class PinLike(Protocol):
    @property
    def offer_id(self) -> UUID: ...
    @property
    def line_id(self) -> UUID: ...
    @property
    def units(self) -> int: ...


def problem_from_rows(
    delivery_date: dt.date,
    offer_rows: Sequence[Row],
    line_rows: Sequence[Row],
    *,
    pins: Sequence[PinLike] = (),
    exclude_offers: Collection[UUID] = (),
    exclude_coops: Collection[UUID] = (),
) -> AllocationProblem:
    """The problem a run solves: the offers and lines the coordinator left in."""
    excluded_offers, excluded_coops = set(exclude_offers), set(exclude_coops)
    offers = [
        Offer(
            id=row["id"],
            producer_id=row["producer_id"],
            product_id=row["product_id"],
            pack_units=row["pack_units"],
            packs_available=max(0, row["packs_free"]),
            price_per_pack_ore=row["price_per_pack_ore"],
            valid_from=row["valid_from"],
            valid_until=row["valid_until"],
            temperature=row["temperature"],
            grams_per_unit=row["grams_per_unit"],
        )
        for row in offer_rows
        if row["id"] not in excluded_offers
    ]
    lines = [
        DemandLine(
            id=row["id"],
            coop_id=row["coop_id"],
            product_id=row["product_id"],
            firm_quantity=row["firm_quantity"],
            tolerance=row["tolerance"],
            max_unit_price_ore=row["max_unit_price_ore"],
            temperature=row["temperature"],
        )
        for row in line_rows
        if row["coop_id"] not in excluded_coops
    ]
    return AllocationProblem(
        delivery_date=delivery_date,
        offers=offers,
        lines=lines,
        pins=[Pin(offer_id=pin.offer_id, line_id=pin.line_id, units=pin.units) for pin in pins],
    )


def pin_problems_in_rows(
    delivery_date: dt.date,
    offer_rows: Sequence[Row],
    line_rows: Sequence[Row],
    *,
    pins: Sequence[PinLike],
    exclude_offers: Collection[UUID] = (),
    exclude_coops: Collection[UUID] = (),
) -> list[str]:
    """What would stop a run from honouring these pins, judged on snapshot rows of the
    pinned offers and lines (the run checks again on its own)."""
    problem = problem_from_rows(
        delivery_date,
        offer_rows,
        line_rows,
        pins=pins,
        exclude_offers=exclude_offers,
        exclude_coops=exclude_coops,
    )
    return pin_problems(problem)
