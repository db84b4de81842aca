"""What a run sees of its cycle: the engine's problem, read in one consistent snapshot.

The run's overrides (excluded offers and co-ops, pinned allocations) are applied here,
so the engine only ever sees what the coordinator left in. The transport estimate is
priced at the network's rates, read in the same snapshot.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from services.matcher.engine import AllocationProblem
from services.matcher.engine.allocation.rows import problem_from_rows
from services.matcher.engine.allocation.transport import TransportRates, estimate_transport
from services.matcher.matching.canonical import Labels
from shared.contracts.runs import Overrides
from shared.db import cycles as cycles_db
from shared.db import mirror as mirror_db
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
        # --- federation: the offers of peers that can't be reached now are left out ---
        unreachable = await mirror_db.select_unreachable_peers(
            conn, run["network_id"], settings.federation.stale_s
        )
    if unreachable:
        gone = {offer for row in unreachable for offer in row["offer_ids"]}
        offer_rows = [row for row in offer_rows if row["id"] not in gone]
    async with pool.acquire() as conn:
        await mirror_db.set_peers_left_out(
            conn,
            run["id"],
            [peer_left_out(row, settings.federation.stale_s) for row in unreachable],
        )
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


def peer_left_out(row: asyncpg.Record, stale_s: int) -> dict[str, Any]:
    """What the run says of a peer whose offers it left out, and why."""
    error = mirror_db.filled(row["error"], row["error_values"])
    if row["error"]:
        reason = f"its last feed read failed: {error}"
    elif row["ok_at"] is None:
        reason = "its feed was never read well"
    else:
        reason = (
            f"its feed was last read well at {row['ok_at']:%Y-%m-%d %H:%M} UTC, "
            f"over {stale_s} s ago"
        )
    return {
        "peer_id": str(row["peer_id"]),
        "name": row["name"],
        "offers": len(row["offer_ids"]),
        "reason": reason,
        "ok_at": None if row["ok_at"] is None else row["ok_at"].isoformat(),
        "error": error,  # the English, filled in
        "error_message": row["error"],  # its msgid and values: pages say it in their language
        "error_values": row["error_values"],
    }
