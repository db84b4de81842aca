"""Runs for tests to take apart: a big network's queued run, what a clean run of it
stores, the queue drained in-process, and the queries that count reserved and handed-out
packs."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.matcher.engine import Allocation, AllocationResult
from services.matcher.engine.allocation.transport import TransportRates
from services.matcher.matching.canonical import allocate_alike
from services.matcher.matching.snapshot import Snapshot, load_snapshot
from services.matcher.worker import build_worker
from shared.contracts.runs import RunRouting
from shared.db import runs as runs_db
from shared.db.pool import Conn, Pool
from shared.settings import Settings
from tests.support.http import Client
from tests.support.world import World, build_world, close_cycle

LIVE = ("proposed", "approved", "published")

RESERVATIONS = """
SELECT o.id, o.packs_available, o.packs_reserved,
       coalesce((SELECT sum(p.packs) FROM run_purchase p JOIN match_run r ON r.id = p.run_id
                 WHERE p.offer_id = o.id AND r.state = any($2::text[])), 0) AS live
FROM offer o WHERE o.producer_id = $1::uuid"""

HANDED_OUT = """
SELECT p.run_id, p.offer_id, p.packs * p.pack_units AS bought,
       coalesce((SELECT sum(a.units) FROM allocation a
                 WHERE a.run_id = p.run_id AND a.offer_id = p.offer_id), 0) AS allocated
FROM run_purchase p JOIN match_run r ON r.id = p.run_id JOIN offer o ON o.id = p.offer_id
WHERE o.producer_id = $1::uuid AND r.state = any($2::text[])"""

# A network big enough that a run takes a noticeable moment: 40 products, $3 offers
# (400), $3 / 3 co-ops (120) ordering 60 lines each. Seeded, so every test run builds the
# same one.
BIG_NETWORK = """
WITH products AS (
    INSERT INTO product (network_id, name, unit, grams_per_unit, ml_per_unit, temperature)
    SELECT $1::uuid, 'Vara ' || g, 'kg', 1000, 1200, 'ambient' FROM generate_series(1, 40) g
    RETURNING id
), offers AS (
    INSERT INTO offer (producer_id, pack_units, packs_available, price_per_pack_ore,
                       valid_from, valid_until, pickup_lat, pickup_lon)
    SELECT $2::uuid, (ARRAY[5, 10, 20])[1 + floor(random() * 3)::int],
           5 + floor(random() * 20)::int, 5000 + floor(random() * 20000)::int,
           current_date - 1, current_date + 30, 59.8 + random() / 5, 17.5 + random() / 3
    FROM generate_series(1, $3::int)
    RETURNING id
)
INSERT INTO offer_listing (offer_id, network_id, product_id)
SELECT o.id, $1::uuid, (SELECT id FROM products ORDER BY id OFFSET (n % 40) LIMIT 1)
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM offers) o;
"""

BIG_DEMAND = """
WITH coops AS (
    INSERT INTO organisation (kind, name, lat, lon)
    SELECT 'coop', 'Matlag ' || g, 59.8 + random() / 5, 17.5 + random() / 3
    FROM generate_series(1, $3::int / 3) g
    RETURNING id
), members AS (
    INSERT INTO membership (network_id, organisation_id) SELECT $1::uuid, id FROM coops
), rounds AS (
    INSERT INTO demand_round (cycle_id, network_id, coop_id)
    SELECT $2::uuid, $1::uuid, id FROM coops
    RETURNING id
)
INSERT INTO demand_line (round_id, network_id, line_no, product_id, firm_quantity, tolerance)
SELECT r.id, $1::uuid, g,
       (SELECT id FROM product WHERE network_id = $1::uuid ORDER BY id
        OFFSET abs(hashtext(r.id::text || g::text)) % 42 LIMIT 1),
       1 + floor(random() * 15)::int, floor(random() * 4)::int
FROM rounds r, generate_series(1, 60) g;
"""


async def big_run(
    client: Client, admin_token: str, pool: Pool, offers: int = 400, seed: float = 0.42
) -> tuple[World, UUID]:
    """A network, and the queued run of its cycle, big enough that computing it takes a
    moment."""
    world = await build_world(client, admin_token)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT setseed($1)", seed)
        await conn.execute(BIG_NETWORK, world.network["id"], world.producer_id, offers)
        await conn.execute(BIG_DEMAND, world.network["id"], world.cycle["id"], offers)
    return world, UUID((await close_cycle(client, world))["id"])


@dataclass(frozen=True)
class Clean:
    """What an unbroken run of a cycle computes, here from the same input: its first
    allocation pass, and (``kept``) the pass a stored run kept: a run allocates again at
    the realised transport rate when its routes cost far more or less than the estimate
    (docs/matching.md, "The re-pass"), and records the rates and its choice."""

    snapshot: Snapshot
    first: AllocationResult

    @property
    def allocations(self) -> list[Allocation]:
        return self.first.allocations

    def kept(self, routing: RunRouting | None) -> AllocationResult:
        repass = routing.repass if routing is not None else None
        if repass is None or repass.kept == "first":
            return self.first
        rates = TransportRates(
            handling_ore_per_kg=repass.handling_ore_per_kg,
            ore_per_tonne_km=repass.ore_per_tonne_km,
        )
        return allocate_alike(self.snapshot.priced(rates), self.snapshot.labels)


async def clean_result(pool: Pool, settings: Settings, run_id: UUID) -> Clean:
    """What an unbroken run of ``run_id`` computes, from the same input."""
    async with pool.acquire() as conn:
        run = await runs_db.select_run(conn, run_id)
    assert run is not None
    snapshot = await load_snapshot(pool, settings, run)
    return Clean(snapshot, allocate_alike(snapshot.problem, snapshot.labels))


async def stored_choice(conn: Conn, run_id: UUID, clean: Clean) -> AllocationResult:
    """The allocation a clean run stores: the pass the stored run kept."""
    run = await runs_db.select_run(conn, run_id)
    assert run is not None
    return clean.kept(RunRouting.of(run["routing"]))


async def assert_stored_as(conn: Conn, run_id: UUID, clean: Clean) -> None:
    """The run's stored allocations and purchases are exactly a clean run's, once each."""
    expected = await stored_choice(conn, run_id, clean)
    stored = await conn.fetch(
        "SELECT offer_id, demand_line_id, units, tolerance_units FROM allocation WHERE run_id = $1",
        run_id,
    )
    bought = await conn.fetch("SELECT offer_id, packs FROM run_purchase WHERE run_id = $1", run_id)
    assert sorted(tuple(r) for r in stored) == sorted(
        (a.offer_id, a.line_id, a.units, a.tolerance_units) for a in expected.allocations
    ), run_id
    assert sorted(tuple(r) for r in bought) == sorted(
        (p.offer_id, p.packs) for p in expected.purchases
    ), run_id


async def drain(settings: Settings) -> None:
    """Run every queued job to the end, as a burst worker in this process."""
    worker = build_worker(settings, burst=True)
    try:
        await worker.main()
    finally:
        await worker.close()
