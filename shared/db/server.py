"""What a process may ask of the database server itself: its version, the schema's."""

from __future__ import annotations

from shared.db.pool import Conn

SERVER_VERSION = "SHOW server_version"

# The newest migration applied; 0 before the first (no ledger yet).
SCHEMA_VERSION = """
SELECT CASE WHEN to_regclass('schema_migration') IS NULL THEN 0
            ELSE (SELECT coalesce(max(version), 0) FROM schema_migration) END"""


async def server_version(conn: Conn) -> str:
    return str(await conn.fetchval(SERVER_VERSION))


async def schema_version(conn: Conn) -> int:
    return int(await conn.fetchval(SCHEMA_VERSION))
