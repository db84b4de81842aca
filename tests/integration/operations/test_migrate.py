from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest

from infra.devservers import ServerUrls, scratch_database
from shared.db.migrate import Migration, MigrationError, load_migrations, migrate


@pytest.fixture
def fresh_database(servers: ServerUrls) -> Iterator[str]:
    with scratch_database(servers.database_url) as url:
        yield url


def test_migration_files_are_numbered_in_order() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "0001_schema_v1.sql"


async def test_migrate_applies_once_and_records_each_file(fresh_database: str) -> None:
    conn = await asyncpg.connect(fresh_database)
    try:
        first = await migrate(conn)
        second = await migrate(conn)
        recorded = await conn.fetch("SELECT version, name FROM schema_migration ORDER BY 1")
    finally:
        await conn.close()
    assert first == [m.name for m in load_migrations()]
    assert second == []
    assert [r["name"] for r in recorded] == first


async def test_concurrent_migrate_runs_take_turns(fresh_database: str) -> None:
    conns = [await asyncpg.connect(fresh_database) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(conn) for conn in conns))
    finally:
        for conn in conns:
            await conn.close()
    applied = [names for names in results if names]
    assert len(applied) == 1, results


async def test_edited_migration_is_refused(fresh_database: str) -> None:
    conn = await asyncpg.connect(fresh_database)
    try:
        await migrate(conn)
        original = load_migrations()[0]
        edited = Migration(original.version, original.name, original.sql + "\n-- edited")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, [edited])
    finally:
        await conn.close()


async def test_failed_migration_leaves_nothing_behind(fresh_database: str) -> None:
    conn = await asyncpg.connect(fresh_database)
    try:
        await migrate(conn)
        broken = Migration(999, "0999_broken.sql", "CREATE TABLE half_done (id int); SELECT 1/0;")
        with pytest.raises(asyncpg.DivisionByZeroError):
            await migrate(conn, [*load_migrations(), broken])
        assert await conn.fetchval("SELECT to_regclass('half_done')") is None
        assert await conn.fetchval("SELECT count(*) FROM schema_migration WHERE version = 999") == 0
    finally:
        await conn.close()
