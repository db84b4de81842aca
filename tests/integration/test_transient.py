"""Serialization failures and deadlocks never reach a client as a 500: the API runs the
request again, and answers 503 with Retry-After only if every attempt failed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from services.api.transient import ATTEMPTS
from shared.db.pool import Pool
from tests.conftest import Client
from tests.integration.world import bearer, build_world, offer_body

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
