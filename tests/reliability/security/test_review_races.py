"""Races in review: a coordinator's decisions on one cycle, sent at the same moment.

Twelve cycles of one network, each with a proposed run the real worker made; on each,
an approve and a re-run are sent at once (against the API served by two uvicorn
processes, two real workers computing the runs). Decisions on a cycle take its row
lock first, so exactly one of the two wins. The winner's line is carried on to
publication, the publish again racing a re-run. Afterwards every cycle is published
with one published run and no live run beside it, and the producer's reserved packs
are exactly what the published runs bought.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest

from shared.db.pool import Pool
from tests.support.figures import Figures
from tests.support.http import Client, bearer, ok
from tests.support.live import client_of, settled, stack
from tests.support.runs import HANDED_OUT, LIVE, RESERVATIONS
from tests.support.world import World, build_world, offer_body, open_cycle, order

ROUNDS = 12
UNDECIDED = {"queued", "running", "proposed", "approved"}


@pytest.fixture(scope="module")
def api_url(
    settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    env = {**settings_env, "SAMLAST_API_WORKERS": "2"}
    with stack(env, tmp_path_factory.mktemp("review-races"), workers=2) as url:
        yield url


@pytest.mark.timeout(300)
async def test_approve_and_rerun_at_once_never_both_win(
    api_url: str, admin_token: str, pool: Pool, figures: Figures
) -> None:
    async with client_of(api_url) as client:
        world = await build_world(client, admin_token)
        offer = await ok(
            await client.post(
                "/v1/offers",
                json=offer_body(world, packs_available=1000),
                headers=bearer(world.producer),
            ),
            201,
        )
        cycles = list(await asyncio.gather(*(_closed_cycle(client, world) for _ in range(ROUNDS))))
        await settled(pool, cycles)
        proposed = [await _newest(client, world, cycle, "proposed") for cycle in cycles]

        races = await asyncio.gather(
            *(_approve_or_rerun(client, world, c, r) for c, r in zip(cycles, proposed, strict=True))
        )
        assert all(code < 500 for race in races for code in race), races
        for approve, rerun in races:
            assert approve in (200, 409), approve
            assert rerun in (201, 409), rerun
            assert (approve == 200) != (rerun == 201), f"approve {approve}, re-run {rerun}"
        await settled(pool, cycles)

        publishes = await asyncio.gather(
            *(
                _publish_racing_a_rerun(client, world, cycle, run, approved=approve == 200)
                for cycle, run, (approve, _) in zip(cycles, proposed, races, strict=True)
            )
        )
        assert set(publishes) == {(200, 409)}, Counter(publishes)
        await settled(pool, cycles)

        coordinator = bearer(world.coordinator)
        left_live = bought = 0
        for cycle in cycles:
            state = (await ok(await client.get(f"/v1/cycles/{cycle}", headers=coordinator)))[
                "state"
            ]
            runs = await ok(await client.get(f"/v1/cycles/{cycle}/runs", headers=coordinator))
            published = [run for run in runs if run["state"] == "published"]
            live = [run for run in runs if run["state"] in UNDECIDED]
            assert (state, len(published)) == ("published", 1), (state, runs)
            assert not live, f"a published cycle still has {[r['state'] for r in live]} runs"
            left_live += len(live)
            result = await ok(
                await client.get(f"/v1/runs/{published[0]['id']}/result", headers=coordinator)
            )
            bought += sum(p["packs"] for p in result["purchases"] if p["offer_id"] == offer["id"])
        seen = await ok(
            await client.get(f"/v1/offers/{offer['id']}", headers=bearer(world.producer))
        )
    assert seen["packs_reserved"] == bought, (seen["packs_reserved"], bought)
    async with pool.acquire() as conn:
        (reserved,) = await conn.fetch(RESERVATIONS, world.producer_id, ["published"])
        handed_out = await conn.fetch(HANDED_OUT, world.producer_id, list(LIVE))
    assert reserved["packs_reserved"] == reserved["live"] == bought, dict(reserved)
    for row in handed_out:
        assert row["allocated"] == row["bought"], dict(row)
    approvals = sum(1 for approve, _ in races if approve == 200)
    figures.record(
        "security: review races",
        f"{ROUNDS} cycles, an approve and a re-run sent at once on each: approve won "
        f"{approvals}, re-run won {ROUNDS - approvals}, both won 0; then a publish and a "
        f"re-run at once on each: published {ROUNDS}, re-run refused (409) {ROUNDS}; live "
        f"runs left in published cycles: {left_live}; packs reserved {bought}, exactly what "
        "the published runs bought; 5xx: 0",
    )


async def _closed_cycle(client: Client, world: World) -> str:
    """A new cycle of the world's network with the co-op's order, closed: its first run
    is queued for the workers."""
    cycle = await open_cycle(client, world)
    line = {"product_id": world.products["Morötter"]["id"], "firm_quantity": 30}
    await order(client, cycle["id"], world.coop, [line])
    await ok(
        await client.post(f"/v1/cycles/{cycle['id']}/close", headers=bearer(world.coordinator))
    )
    return str(cycle["id"])


async def _newest(client: Client, world: World, cycle_id: str, state: str) -> str:
    runs = await ok(
        await client.get(f"/v1/cycles/{cycle_id}/runs", headers=bearer(world.coordinator))
    )
    assert runs[0]["state"] == state, [run["state"] for run in runs]
    return str(runs[0]["id"])


async def _approve_or_rerun(
    client: Client, world: World, cycle_id: str, run_id: str
) -> tuple[int, int]:
    headers = bearer(world.coordinator)
    approve, rerun = await asyncio.gather(
        client.post(f"/v1/runs/{run_id}/approve", headers=headers),
        client.post(f"/v1/cycles/{cycle_id}/runs", json={}, headers=headers),
    )
    return approve.status_code, rerun.status_code


async def _publish_racing_a_rerun(
    client: Client, world: World, cycle_id: str, run_id: str, *, approved: bool
) -> tuple[int, int]:
    """Publish the cycle's approved run (approving the re-run's first, if it won) while
    another re-run of the cycle is asked for."""
    headers = bearer(world.coordinator)
    if not approved:
        run_id = await _newest(client, world, cycle_id, "proposed")
        await ok(await client.post(f"/v1/runs/{run_id}/approve", headers=headers))
    publish, rerun = await asyncio.gather(
        client.post(f"/v1/runs/{run_id}/publish", headers=headers),
        client.post(f"/v1/cycles/{cycle_id}/runs", json={}, headers=headers),
    )
    return publish.status_code, rerun.status_code
