"""arq job functions: thin wrappers that pass ids, never objects; safe to run twice."""

from __future__ import annotations

from typing import TypedDict

from shared.db.pool import Pool
from shared.settings import Settings


class WorkerContext(TypedDict):
    """What ``build_worker``'s start-up puts in every job's ``ctx``."""

    settings: Settings
    pool: Pool
    worker_name: str


SCHEMA_VERSION = """
SELECT CASE WHEN to_regclass('schema_migration') IS NULL THEN 0
            ELSE (SELECT coalesce(max(version), 0) FROM schema_migration) END"""


async def self_check(ctx: WorkerContext) -> dict[str, str]:
    """Prove the path queue → worker → PostgreSQL: which worker ran, on which server."""
    async with ctx["pool"].acquire() as conn:
        server_version = await conn.fetchval("SHOW server_version")
        schema_version = await conn.fetchval(SCHEMA_VERSION)
    return {
        "worker": ctx["worker_name"],
        "postgres": str(server_version),
        "schema_version": str(schema_version),
    }
