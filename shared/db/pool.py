"""The asyncpg pool every process uses: codecs registered once, a clear error if unreachable."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
import asyncpg.pool

from shared.errors import ServiceUnavailableError
from shared.settings import Settings, redact

# A connection of its own or one lent by the pool: the same API either way.
if TYPE_CHECKING:
    Conn: TypeAlias = (
        asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]
    )
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
else:  # Litestar resolves these names in handler signatures; Any skips its validation
    Conn = Any
    Pool = asyncpg.Pool


async def _init_connection(conn: Conn) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(settings: Settings, **overrides: Any) -> Pool:
    """Open a pool to ``settings.database_url``; raise ServiceUnavailableError if unreachable."""
    options: dict[str, Any] = {
        "min_size": settings.db_pool_min,
        "max_size": settings.db_pool_max,
        "timeout": settings.connect_timeout_s,
        "init": _init_connection,
        "command_timeout": 60,
    }
    options.update(overrides)
    try:
        pool = await asyncpg.create_pool(settings.database_url, **options)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise ServiceUnavailableError(
            f"cannot reach PostgreSQL at {redact(settings.database_url)}: {exc}"
        ) from exc
    assert pool is not None
    return pool


async def connect(settings: Settings) -> Conn:
    """One connection, for one-shot commands such as ``samlast migrate``."""
    try:
        conn: Conn = await asyncpg.connect(
            settings.database_url, timeout=settings.connect_timeout_s
        )
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise ServiceUnavailableError(
            f"cannot reach PostgreSQL at {redact(settings.database_url)}: {exc}"
        ) from exc
    await _init_connection(conn)
    return conn
