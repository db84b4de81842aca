"""The database itself defends the invariants, whatever the code above it does."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import pytest

from shared.db.pool import APP_ROLE, Conn, Pool, create_pool
from shared.settings import Settings


async def _network(conn: Conn, name: str) -> UUID:
    network_id: UUID = await conn.fetchval(
        "INSERT INTO network (name) VALUES ($1) RETURNING id", name
    )
    return network_id


async def _producer_offer(conn: Conn, packs: int) -> UUID:
    producer = await conn.fetchval(
        "INSERT INTO organisation (kind, name) VALUES ('producer', 'Gård') RETURNING id"
    )
    offer_id: UUID = await conn.fetchval(
        """INSERT INTO offer (producer_id, pack_units, packs_available, price_per_pack_ore,
                              valid_from, valid_until, pickup_lat, pickup_lon)
           VALUES ($1, 10, $2, 12000, '2026-12-01', '2026-12-31', 59.86, 17.64) RETURNING id""",
        producer,
        packs,
    )
    return offer_id


async def test_reserving_more_packs_than_available_is_refused(pool: Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        offer = await _producer_offer(conn, packs=3)
        await conn.execute("UPDATE offer SET packs_reserved = 3 WHERE id = $1", offer)
        with pytest.raises(asyncpg.CheckViolationError, match="offer_no_oversell"):
            await conn.execute("UPDATE offer SET packs_reserved = 4 WHERE id = $1", offer)


async def test_negative_quantities_and_prices_are_refused(pool: Pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError):
            await _producer_offer(conn, packs=-1)


async def test_demand_line_cannot_name_another_networks_product(pool: Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        north, south = await _network(conn, "Norr"), await _network(conn, "Söder")
        coop = await conn.fetchval(
            "INSERT INTO organisation (kind, name) VALUES ('coop', 'Matkassen') RETURNING id"
        )
        southern_carrots = await conn.fetchval(
            """INSERT INTO product (network_id, name, unit, grams_per_unit, ml_per_unit,
                                    temperature)
               VALUES ($1, 'Morötter', 'kg', 1000, 1200, 'ambient') RETURNING id""",
            south,
        )
        cycle = await conn.fetchval(
            """INSERT INTO cycle (network_id, opens_at, closes_at, delivery_date)
               VALUES ($1, now(), now() + interval '1 day', current_date + 3) RETURNING id""",
            north,
        )
        round_id = await conn.fetchval(
            "INSERT INTO demand_round (cycle_id, network_id, coop_id) VALUES ($1, $2, $3)"
            " RETURNING id",
            cycle,
            north,
            coop,
        )
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute(
                """INSERT INTO demand_line (round_id, network_id, line_no, product_id,
                                            firm_quantity)
                   VALUES ($1, $2, 1, $3, 4)""",
                round_id,
                north,
                southern_carrots,
            )


async def test_cost_share_above_standalone_cost_is_refused(pool: Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        network = await _network(conn, "Uppland")
        coop = await conn.fetchval(
            "INSERT INTO organisation (kind, name) VALUES ('coop', 'Kvarnen') RETURNING id"
        )
        cycle = await conn.fetchval(
            """INSERT INTO cycle (network_id, opens_at, closes_at, delivery_date)
               VALUES ($1, now(), now() + interval '1 day', current_date + 3) RETURNING id""",
            network,
        )
        run = await conn.fetchval(
            "INSERT INTO match_run (cycle_id, network_id, run_version) VALUES ($1, $2, 1)"
            " RETURNING id",
            cycle,
            network,
        )
        route = await conn.fetchval(
            """INSERT INTO route (run_id, plan, route_no, distance_m, duration_s, cost_ore,
                                  co2_grams)
               VALUES ($1, 'joint', 1, 1000, 600, 5000, 200) RETURNING id""",
            run,
        )
        with pytest.raises(asyncpg.CheckViolationError, match="cost_share_within_standalone"):
            await conn.execute(
                """INSERT INTO cost_share (route_id, organisation_id, share_ore,
                                           standalone_cost_ore)
                   VALUES ($1, $2, 3001, 3000)""",
                route,
                coop,
            )


async def test_audit_log_is_append_only(pool: Pool) -> None:
    async with pool.acquire() as conn:
        row_id = await conn.fetchval(
            "INSERT INTO audit_log (action, outcome) VALUES ('test.append', 'ok') RETURNING id"
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("UPDATE audit_log SET action = 'forged' WHERE id = $1", row_id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("DELETE FROM audit_log WHERE id = $1", row_id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("TRUNCATE audit_log")
        assert await conn.fetchval("SELECT action FROM audit_log WHERE id = $1", row_id) == (
            "test.append"
        )


async def test_the_apps_role_may_only_read_and_append_the_audit_trail(
    pool: Pool, settings: Settings
) -> None:
    """The API's and the matcher's pools act as samlast_app: no UPDATE, DELETE or
    TRUNCATE on audit_log, and no way around the triggers, on every connection lent."""
    app_pool = await create_pool(settings, min_size=1, max_size=1)
    try:
        for _ in range(2):  # the role outlives the pool's reset between borrowers
            async with app_pool.acquire() as conn:
                assert await conn.fetchval("SELECT current_user") == APP_ROLE
                row_id = await conn.fetchval(
                    "INSERT INTO audit_log (action, outcome) VALUES ('test.app', 'ok') RETURNING id"
                )
                assert await conn.fetchval("SELECT id FROM audit_log WHERE id = $1", row_id)
                for sql in (
                    "UPDATE audit_log SET action = 'forged'",
                    "DELETE FROM audit_log",
                    "TRUNCATE audit_log",
                    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete",
                    "DROP TRIGGER audit_log_no_update_delete ON audit_log",
                    "INSERT INTO schema_migration VALUES (9999, 'x', 'x')",
                ):
                    with pytest.raises(asyncpg.InsufficientPrivilegeError):  # noqa: PT012
                        await conn.execute(sql)
                        pytest.fail(f"samlast_app may: {sql}")
                privileges = await conn.fetchval(
                    "SELECT array_agg(p) FILTER (WHERE has_table_privilege('audit_log', p)) "
                    "FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p"
                )
                assert privileges == ["SELECT", "INSERT"]
    finally:
        await app_pool.close()
