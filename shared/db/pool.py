"""The asyncpg pool every process uses: codecs registered once, a clear error if unreachable."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast

import asyncpg
import asyncpg.pool

from shared.errors import ServiceUnavailableError
from shared.settings import Settings, redact

# A connection of its own or one lent by the pool: the same API either way.
if TYPE_CHECKING:
    Conn: TypeAlias = (
        asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]
    )
    _AsyncpgPool: TypeAlias = asyncpg.Pool[asyncpg.Record]
else:  # Litestar resolves these names in handler signatures; Any skips its validation
    Conn = Any
    _AsyncpgPool = asyncpg.Pool


class Pool(_AsyncpgPool):
    """asyncpg's pool, but a caller waits at most ``acquire_timeout_s`` for a connection
    and then hears that the service is busy (503 with Retry-After), never hangs."""

    __slots__ = ("acquire_timeout_s",)
    acquire_timeout_s: float | None  # None: wait as long as it takes (the matcher's jobs)

    @asynccontextmanager
    async def lend(self, *, wait_s: float | None = None) -> AsyncIterator[Conn]:
        wait_s = self.acquire_timeout_s if wait_s is None else wait_s
        try:
            conn = await super().acquire(timeout=wait_s)
        except TimeoutError:
            raise BusyError(
                "every database connection is busy (waited {seconds} s); retry shortly",
                values={"seconds": f"{wait_s:g}"},
            ) from None
        try:
            yield conn
        except BROKEN:
            # asyncpg can hand such a connection back half-dead: a backend terminated
            # mid-query leaves its protocol waiting for a ReadyForQuery that never comes,
            # and the next caller gets InternalClientError (MagicStack/asyncpg#1069).
            # Close it, so the pool opens a fresh one instead of lending it again.
            conn.terminate()
            raise
        finally:
            await self.release(conn)

    def acquire(  # type: ignore[override]  # asyncpg's also awaits; ours is only entered
        self, *, timeout: float | None = None
    ) -> AbstractAsyncContextManager[Conn]:
        """``async with pool.acquire() as conn``, bounded as ``lend`` is."""
        return self.lend(wait_s=timeout)


# Errors after which a connection is not to be trusted again: the server closed it, an
# operator terminated its backend, or its protocol state is inconsistent.
BROKEN = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)


class BusyError(ServiceUnavailableError):
    """No connection came free in time: the client may simply try again."""


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


class Row(Protocol):
    """A NamedTuple whose field names are the table's columns."""

    @property
    def _fields(self) -> tuple[str, ...]: ...


async def copy_rows(conn: Conn, table: str, rows: Sequence[Row]) -> None:
    """COPY rows into ``table``, the columns named by the rows' own fields: a column is
    never matched to a value by its position in a list kept somewhere else."""
    if rows:
        await conn.copy_records_to_table(
            table, records=cast(Any, rows), columns=list(rows[0]._fields)
        )


def states_sql(states: Iterable[str]) -> str:
    """A set of states (enum values, never input) as an SQL list: ``('a', 'b')``."""
    return "(" + ", ".join(f"'{state}'" for state in sorted(states)) + ")"


async def create_pool(
    settings: Settings, *, as_app: bool = True, bounded: bool = True, **overrides: Any
) -> Pool:
    """Open a pool to ``settings.db.url``, acting as APP_ROLE unless ``as_app`` is
    false (tests and tools that act as the operator); raise ServiceUnavailableError if
    unreachable. A ``bounded`` pool lends a connection within ``db.acquire_timeout_s``
    or raises BusyError; the matcher's jobs, which nobody waits on, are not bounded."""
    options: dict[str, Any] = {
        "min_size": settings.db.pool_min,
        "max_size": settings.db.pool_max,
        "timeout": settings.connect_timeout_s,
        "init": _act_as_app if as_app else _init_connection,
        "command_timeout": 60,
        # asyncpg.create_pool's own defaults: it builds its Pool the same way
        "max_queries": 50000,
        "max_inactive_connection_lifetime": 300.0,
    }
    options.update(overrides)
    pool = Pool(
        settings.db.url,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        loop=None,
        **options,
    )
    pool.acquire_timeout_s = settings.db.acquire_timeout_s if bounded else None
    try:
        await pool
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise ServiceUnavailableError(
            f"cannot reach PostgreSQL at {redact(settings.db.url)}: {exc}"
        ) from exc
    return pool


async def connect(settings: Settings) -> Conn:
    """One connection, for one-shot commands such as ``samlast migrate``."""
    try:
        conn: Conn = await asyncpg.connect(settings.db.url, timeout=settings.connect_timeout_s)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise ServiceUnavailableError(
            f"cannot reach PostgreSQL at {redact(settings.db.url)}: {exc}"
        ) from exc
    await _init_connection(conn)
    return conn
