"""What a run sees of its cycle: the engine's problem, read in one consistent snapshot.

The run's overrides (excluded offers and co-ops, pinned allocations) are applied here,
so the engine only ever sees what the coordinator left in. The transport estimate is
priced at the network's rates, read in the same snapshot.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from services.matcher.engine import AllocationProblem
from services.matcher.engine.allocation.rows import problem_from_rows
from services.matcher.engine.allocation.transport import TransportRates, estimate_transport
from services.matcher.matching.canonical import Labels
from shared.contracts.runs import Overrides
from shared.db import cycles as cycles_db
from shared.db import networks as networks_db
from shared.db import runs as runs_db
from shared.db.pool import Pool
from shared.settings import Settings

Where = tuple[float, float]  # latitude, longitude


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    problem: AllocationProblem
    rates: TransportRates  # the estimate's, kept to report beside the realised cost
    labels: Labels  # canonical ids, so other ids give the same allocation
    farms: dict[UUID, Where]  # pickup places, by producer
    coops: dict[UUID, Where | None]  # by co-op; None where it has no location
    road_factor: float

    def priced(self, rates: TransportRates) -> AllocationProblem:
        """The problem with its transport estimate priced at other rates."""
        transport = estimate_transport(
            self.farms, self.coops, road_factor=self.road_factor, rates=rates
        )
        return msgspec.structs.replace(self.problem, transport=transport)


async def load_snapshot(pool: Pool, settings: Settings, run: asyncpg.Record) -> Snapshot:
    """A consistent snapshot: offers listed in the network, the cycle's demand lines,
    the network's transport rates."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        cycle = await cycles_db.select_cycle(conn, run["cycle_id"])
        network = await networks_db.select_network(conn, run["network_id"])
        assert cycle is not None
        assert network is not None
        offer_rows = await runs_db.snapshot_offers(conn, run["network_id"])
        line_rows = await runs_db.snapshot_lines(conn, run["cycle_id"])
    overrides = Overrides.of(run["overrides"])
    farms = {row["producer_id"]: (row["pickup_lat"], row["pickup_lon"]) for row in offer_rows}
    coops = {
        row["coop_id"]: None if row["coop_lat"] is None else (row["coop_lat"], row["coop_lon"])
        for row in line_rows
    }
    problem = problem_from_rows(
        cycle["delivery_date"],
        offer_rows,
        line_rows,
        pins=overrides.pins,
        exclude_offers=overrides.exclude_offers,
        exclude_coops=overrides.exclude_coops,
    )
    rates = TransportRates(
        handling_ore_per_kg=network["transport_handling_ore_per_kg"],
        ore_per_tonne_km=network["transport_ore_per_tonne_km"],
    )
    transport = estimate_transport(
        farms, coops, road_factor=settings.matching.road_factor, rates=rates
    )
    problem = msgspec.structs.replace(problem, transport=transport)
    return Snapshot(
        problem=problem,
        rates=rates,
        labels=Labels.of(problem, farms, coops),
        farms=farms,
        coops=coops,
        road_factor=settings.matching.road_factor,
    )
