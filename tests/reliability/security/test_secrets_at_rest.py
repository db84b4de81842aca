"""Class 7 of issue 16 (the tokens' part): a secret shown once is written nowhere.

Attack: issue tokens with ``Idempotency-Key`` (as every careful client does), then
read every table, text and bytea alike, for the secrets; and replay the request to
be shown the token again. Expired keys are deleted by the matcher's sweep.
"""

from __future__ import annotations

import pytest

from services.matcher.jobs.context import WorkerContext
from services.matcher.jobs.housekeeping import forget_expired_idempotency_keys
from shared.db.pool import Pool
from tests.support.figures import Figures
from tests.support.http import Client, bearer, ok
from tests.support.security import tables_holding
from tests.support.world import build_world, offer_body

pytestmark = pytest.mark.integration


async def test_a_new_token_is_never_kept_for_a_replay(
    client: Client, admin_token: str, pool: Pool, figures: Figures
) -> None:
    world = await build_world(client, admin_token)
    path = f"/v1/organisations/{world.producer_id}/tokens"
    headers = {**bearer(world.coordinator), "Idempotency-Key": "new-token-1"}
    body = {"label": "with a key"}
    created = await ok(await client.post(path, json=body, headers=headers), 201)
    replay = await client.post(path, json=body, headers=headers)
    async with pool.acquire() as conn:
        holding = await tables_holding(conn, created["token"][len(created["prefix"]) :])
        kept = await conn.fetchrow(
            "SELECT response_status, response_body, secret_withheld FROM idempotency_key "
            "WHERE key = 'new-token-1'"
        )
    another = await client.post(path, json=body, headers=bearer(world.coordinator))
    assert created["token"].startswith("sl_")
    assert "no-store" in another.headers["cache-control"]
    assert kept is not None
    assert holding == [], f"the token's secret is stored in {holding}"
    assert (kept["response_status"], kept["response_body"], kept["secret_withheld"]) == (
        201,
        None,
        True,
    )
    assert replay.status_code == 409
    assert "shown once and never stored" in replay.json()["detail"]
    assert created["token"] not in replay.text
    figures.record(
        "security: no secret at rest (tokens)",
        "a token issued with Idempotency-Key: its secret in 0 tables (text or bytea); "
        "the replay answers 409 saying why",
    )


async def test_the_sweep_forgets_expired_keys(client: Client, admin_token: str, pool: Pool) -> None:
    world = await build_world(client, admin_token)
    headers = {**bearer(world.producer), "Idempotency-Key": "old-offer"}
    await client.get("/v1/networks", headers=headers)
    await ok(await client.post("/v1/offers", json=offer_body(world), headers=headers), 201)
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE idempotency_key SET expires_at = now() - interval '1 second' "
            "WHERE key = 'old-offer'"
        )
    ctx: WorkerContext = {"pool": pool}  # type: ignore[typeddict-item]  # the job reads no more
    forgotten = await forget_expired_idempotency_keys(ctx)
    async with pool.acquire() as conn:
        left = await conn.fetchval("SELECT count(*) FROM idempotency_key WHERE expires_at < now()")
    assert forgotten >= 1
    assert left == 0
