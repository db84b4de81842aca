"""Serialization failures and deadlocks never reach a client as a 500: the API runs the
request again, and answers 503 with Retry-After only if every attempt failed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from services.api.core.transient import ATTEMPTS
from shared.db.pool import BROKEN, Pool, create_pool
from shared.settings import Settings
from tests.support.http import Client, bearer
from tests.support.world import build_world, offer_body

# Inserting an offer fails with the configured SQLSTATE while the sequence is below
# the configured count: a sequence, because its value survives the rollback.
FAULT = """
CREATE TABLE transient_fault_config (faults int NOT NULL, errcode text NOT NULL);
CREATE SEQUENCE transient_faults;
CREATE FUNCTION transient_fault() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE config transient_fault_config;
BEGIN
    SELECT * INTO config FROM transient_fault_config;
    IF config IS NOT NULL AND nextval('transient_faults') <= config.faults THEN
        RAISE EXCEPTION 'injected fault' USING ERRCODE = config.errcode;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER transient_fault BEFORE INSERT ON offer
    FOR EACH ROW EXECUTE FUNCTION transient_fault();
"""

CLEAR = """
DROP TRIGGER transient_fault ON offer;
DROP FUNCTION transient_fault();
DROP SEQUENCE transient_faults;
DROP TABLE transient_fault_config;
"""


Inject = Callable[[int, str], Awaitable[None]]


@pytest.fixture
async def inject(pool: Pool) -> AsyncIterator[Inject]:
    async with pool.acquire() as conn:
        await conn.execute(FAULT)

    async def set_faults(count: int, errcode: str) -> None:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM transient_fault_config")
            await conn.execute("INSERT INTO transient_fault_config VALUES ($1, $2)", count, errcode)
            await conn.execute("SELECT setval('transient_faults', 1, false)")

    yield set_faults
    async with pool.acquire() as conn:
        await conn.execute(CLEAR)


@pytest.mark.parametrize("errcode", ["40001", "40P01"])
async def test_a_rolled_back_request_is_run_again_and_stored_once(
    client: Client, admin_token: str, pool: Pool, inject: Inject, errcode: str
) -> None:
    world = await build_world(client, admin_token)
    await inject(ATTEMPTS - 1, errcode)
    headers = {**bearer(world.producer), "Idempotency-Key": f"transient-{errcode}"}
    response = await client.post("/v1/offers", json=offer_body(world), headers=headers)
    assert response.status_code == 201, response.text
    assert "x-samlast-transient" not in response.headers
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM offer WHERE producer_id = $1::uuid", world.producer_id
        )
    assert stored == 1


async def test_when_every_attempt_fails_the_client_gets_503_with_retry_after(
    client: Client, admin_token: str, pool: Pool, inject: Inject
) -> None:
    world = await build_world(client, admin_token)
    await inject(ATTEMPTS, "40001")
    response = await client.post(
        "/v1/offers", json=offer_body(world), headers=bearer(world.producer)
    )
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert "x-samlast-transient" not in response.headers
    assert "retry" in response.json()["detail"]
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM offer WHERE producer_id = $1::uuid", world.producer_id
        )
    assert stored == 0


async def test_a_lost_database_connection_answers_503_and_the_next_request_is_served(
    client: Client, admin_token: str, pool: Pool, inject: Inject
) -> None:
    """57P01 is what a terminated backend says (a restart, a failover): 503 with
    Retry-After, not 500, and the broken connection is replaced, not lent again."""
    world = await build_world(client, admin_token)
    await inject(1, "57P01")
    headers = bearer(world.producer)
    response = await client.post("/v1/offers", json=offer_body(world), headers=headers)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    response = await client.post("/v1/offers", json=offer_body(world), headers=headers)
    assert response.status_code == 201, response.text


async def test_a_connection_that_broke_is_never_lent_again(settings: Settings, pool: Pool) -> None:
    """asyncpg can hand back a half-dead connection after its backend was terminated
    mid-query (MagicStack/asyncpg#1069); the pool closes any connection that raised
    such an error, so the next caller gets a fresh one."""
    one = await create_pool(settings, as_app=False, min_size=1, max_size=1)
    pids: list[int] = []

    async def fail_with_inconsistent_protocol() -> None:
        async with one.acquire() as conn:
            pids.append(await conn.fetchval("SELECT pg_backend_pid()"))
            raise asyncpg.InternalClientError("cannot switch to state 11")

    async def query_after_termination() -> None:
        async with one.acquire() as conn:
            pids.append(await conn.fetchval("SELECT pg_backend_pid()"))
            async with pool.acquire() as operator:
                await operator.execute("SELECT pg_terminate_backend($1)", pids[-1])
            await conn.fetchval("SELECT 1")

    try:
        with pytest.raises(asyncpg.InternalClientError):
            await fail_with_inconsistent_protocol()
        with pytest.raises(BROKEN):
            await query_after_termination()
        async with one.acquire() as conn:
            pids.append(await conn.fetchval("SELECT pg_backend_pid()"))
            assert await conn.fetchval("SELECT 1") == 1
        assert len(set(pids)) == 3, pids
    finally:
        await one.close()
