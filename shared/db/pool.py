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


# The role the API and the matcher act as: every table, but the audit trail only read
# and appended to (infra/migrations/0005_app_role.sql). Migrations and admin commands
# use ``connect`` and act as the login role.
APP_ROLE = "samlast_app"


async def _act_as_app(conn: Conn) -> None:
    await _init_connection(conn)
    await conn.execute(f"SET ROLE {APP_ROLE}")  # survives the pool's RESET ALL on release


async def _init_connection(conn: Conn) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(settings: Settings, *, as_app: bool = True, **overrides: Any) -> Pool:
    """Open a pool to ``settings.database_url``, acting as APP_ROLE unless ``as_app`` is
    false (tests and tools that act as the operator); raise ServiceUnavailableError if
    unreachable."""
    options: dict[str, Any] = {
        "min_size": settings.db_pool_min,
        "max_size": settings.db_pool_max,
        "timeout": settings.connect_timeout_s,
        "init": _act_as_app if as_app else _init_connection,
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
