"""What a run sees of its cycle: the engine's problem, read in one consistent snapshot.

The run's overrides (excluded offers and co-ops, pinned allocations) are applied here,
so the engine only ever sees what the coordinator left in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from services.matcher.engine import AllocationProblem, DemandLine, Offer, Pin
from services.matcher.engine.allocation.pins import pin_problems
from services.matcher.engine.allocation.transport import estimate_transport
from shared.db import cycles as cycles_db
from shared.db import runs as runs_db
from shared.db.pool import Pool
from shared.settings import Settings


class Overrides(msgspec.Struct, frozen=True, kw_only=True):
    """A run's overrides as stored in ``match_run.overrides``."""

    exclude_offers: list[UUID] = msgspec.field(default_factory=list)
    exclude_coops: list[UUID] = msgspec.field(default_factory=list)
    exclude_vehicles: list[UUID] = msgspec.field(default_factory=list)
    pins: list[Pin] = msgspec.field(default_factory=list)

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> Overrides:
        return msgspec.convert(stored or {}, cls)


async def load_problem(pool: Pool, settings: Settings, run: asyncpg.Record) -> AllocationProblem:
    """A consistent snapshot: offers listed in the network, the cycle's demand lines."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        cycle = await cycles_db.select_cycle(conn, run["cycle_id"])
        assert cycle is not None
        offer_rows = await runs_db.snapshot_offers(conn, run["network_id"])
        line_rows = await runs_db.snapshot_lines(conn, run["cycle_id"])
    overrides = Overrides.of(run["overrides"])
    farms = {row["producer_id"]: (row["pickup_lat"], row["pickup_lon"]) for row in offer_rows}
    coops = {
        row["coop_id"]: None if row["coop_lat"] is None else (row["coop_lat"], row["coop_lon"])
        for row in line_rows
    }
    problem = _problem(cycle["delivery_date"], offer_rows, line_rows, overrides)
    transport = estimate_transport(farms, coops, road_factor=settings.road_factor)
    return msgspec.structs.replace(problem, transport=transport)


def pin_problems_in(
    delivery_date: dt.date,
    offer_rows: list[asyncpg.Record],
    line_rows: list[asyncpg.Record],
    overrides: Overrides,
) -> list[str]:
    """What would stop a run with these overrides from honouring its pins, judged on
    snapshot rows of the pinned offers and lines (the run checks again on its own)."""
    return pin_problems(_problem(delivery_date, offer_rows, line_rows, overrides))


def _problem(
    delivery_date: dt.date,
    offer_rows: list[asyncpg.Record],
    line_rows: list[asyncpg.Record],
    overrides: Overrides,
) -> AllocationProblem:
    excluded_offers = set(overrides.exclude_offers)
    excluded_coops = set(overrides.exclude_coops)
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
        delivery_date=delivery_date, offers=offers, lines=lines, pins=overrides.pins
    )
