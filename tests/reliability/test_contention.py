"""200 concurrent requests contending for the last packs of one offer.

Eight networks list one producer's six crates of carrots; each network's co-op wants
three. At once: every network closes its cycle, coordinators ask for re-runs, the
producer keeps changing how many crates there are, and everyone reads the offer. All
of it against the API served as in production (uvicorn, two processes) and two real
matcher workers. No request may fail with a 5xx, and once the runs are done the
reserved crates are exactly what the live runs bought, never more than there are.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any, cast
from uuid import UUID

import httpx
import pytest

from infra.processes import api_and_workers
from shared.contracts.runs import RunSummary
from shared.db import runs as runs_db
from shared.db.pool import Pool
from shared.db.runs import PurchaseRow
from tests.support.figures import Figures
from tests.support.http import Client, bearer, ok
from tests.support.runs import HANDED_OUT, LIVE, RESERVATIONS
from tests.support.world import World, build_world, close_cycle, offer_body

NETWORKS = 8
REQUESTS = 200
CRATES = 6

# a stored run's summary, before anything was bought
NOTHING_YET = RunSummary(
    firm_units_demanded=0,
    firm_units_filled=0,
    tolerance_units=0,
    packs_bought=0,
    goods_cost_ore=0,
    transport_estimate_ore=0,
    lines_filled=0,
    lines_short=0,
)


@pytest.fixture(scope="module")
def api_url(
    settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    env = {
        **settings_env,
        "SAMLAST_API_WORKERS": "2",
        "SAMLAST_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    with api_and_workers(env, tmp_path_factory.mktemp("contention"), workers=2) as url:
        yield url


async def test_two_hundred_requests_for_the_last_crates_never_oversell(
    api_url: str, admin_token: str, pool: Pool, figures: Figures
) -> None:
    limits = httpx.Limits(max_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=api_url, timeout=60, limits=limits) as http:
        client = cast(Client, http)
        worlds, offer_path = await _networks_sharing_one_offer(client, admin_token)
        producer = worlds[0].producer
        chance = random.Random(20261129)

        async def close(world: World) -> httpx.Response:
            path = f"/v1/cycles/{world.cycle['id']}/close"
            return await http.post(path, headers=bearer(world.coordinator))

        async def rerun(world: World) -> httpx.Response:
            path = f"/v1/cycles/{world.cycle['id']}/runs"
            return await http.post(path, json={}, headers=bearer(world.coordinator))

        async def edit(packs: int) -> httpx.Response:
            read = await http.get(offer_path, headers=bearer(producer))
            headers = {**bearer(producer), "If-Match": read.headers["etag"]}
            return await http.patch(offer_path, json={"packs_available": packs}, headers=headers)

        async def read() -> httpx.Response:
            return await http.get(offer_path, headers=bearer(producer))

        calls: list[tuple[str, Any]] = [("close", close(w)) for w in worlds]
        while len(calls) < REQUESTS:
            kind = chance.choice(["rerun", "rerun", "edit", "read"])
            if kind == "rerun":
                calls.append((kind, rerun(chance.choice(worlds))))
            elif kind == "edit":
                calls.append((kind, edit(chance.randint(3, 8))))
            else:
                calls.append((kind, read()))
        chance.shuffle(calls)
        answers = await asyncio.gather(*(call for _, call in calls))

    statuses = Counter(
        (kind, answer.status_code) for (kind, _), answer in zip(calls, answers, strict=True)
    )
    server_errors = {k: n for k, n in statuses.items() if k[1] >= 500}
    assert not server_errors, server_errors
    allowed = {"close": {200}, "rerun": {201, 409}, "edit": {200, 409, 412}, "read": {200}}
    unexpected = {k: n for k, n in statuses.items() if k[1] not in allowed[k[0]]}
    assert not unexpected, unexpected

    producer_id = worlds[0].producer_id
    deadline = time.monotonic() + 90
    async with pool.acquire() as conn:
        while await conn.fetchval(
            "SELECT count(*) FROM match_run r JOIN cycle c ON c.id = r.cycle_id "
            "WHERE c.network_id = any($1::uuid[]) AND r.state IN ('queued', 'running')",
            [w.network["id"] for w in worlds],
        ):
            assert time.monotonic() < deadline, "runs still unfinished after 90 s"
            await asyncio.sleep(0.2)
        (offer,) = await conn.fetch(RESERVATIONS, producer_id, list(LIVE))
        handed_out = await conn.fetch(HANDED_OUT, producer_id, list(LIVE))
        runs = Counter(
            r["state"]
            for r in await conn.fetch(
                "SELECT r.state FROM match_run r JOIN cycle c ON c.id = r.cycle_id "
                "WHERE c.network_id = any($1::uuid[])",
                [w.network["id"] for w in worlds],
            )
        )
    assert 0 < offer["packs_reserved"] <= offer["packs_available"], dict(offer)
    assert offer["packs_reserved"] == offer["live"], dict(offer)
    for row in handed_out:
        assert row["allocated"] == row["bought"], dict(row)
    figures.record(
        "test_contention.py",
        f"{REQUESTS} concurrent requests (closes, re-runs, crate-count edits, reads) from "
        f"{NETWORKS} networks for one offer: "
        + ", ".join(f"{kind} {code} ({n})" for (kind, code), n in sorted(statuses.items()))
        + f"; 5xx: 0; runs: {dict(sorted(runs.items()))}; crates reserved "
        f"{offer['packs_reserved']} of {offer['packs_available']}, exactly what live runs "
        "bought; oversold: 0",
    )


async def _networks_sharing_one_offer(client: Client, admin: str) -> tuple[list[World], str]:
    """NETWORKS networks; the first one's producer lists CRATES crates in all of them,
    and every co-op orders three crates' worth."""
    worlds = [await build_world(client, admin) for _ in range(NETWORKS)]
    first = worlds[0]
    for world in worlds[1:]:
        path = f"/v1/networks/{world.network['id']}/members"
        member = {"organisation_id": first.producer_id}
        await ok(await client.post(path, json=member, headers=bearer(admin)), 204)
    body = offer_body(first, pack_units=10, packs_available=CRATES)
    body["listings"] = [
        {"network_id": w.network["id"], "product_id": w.products["Morötter"]["id"]} for w in worlds
    ]
    offer = await ok(
        await client.post("/v1/offers", json=body, headers=bearer(first.producer)), 201
    )
    for world in worlds:
        line = {"product_id": world.products["Morötter"]["id"], "firm_quantity": 30}
        path = f"/v1/cycles/{world.cycle['id']}/demand-rounds"
        await ok(await client.post(path, json={"lines": [line]}, headers=bearer(world.coop)), 201)
    return worlds, f"/v1/offers/{offer['id']}"


async def test_a_run_stored_while_its_cycle_is_rerun_gives_its_packs_back(
    client: Client, admin_token: str, pool: Pool
) -> None:
    """The race the 200 requests found: a worker commits a run's result (packs reserved)
    while a coordinator's re-run supersedes it. The re-run waits for the worker's commit,
    then gives back exactly the packs it reserved."""
    world = await build_world(client, admin_token)
    offer = await ok(
        await client.post(
            "/v1/offers", json=offer_body(world, packs_available=5), headers=bearer(world.producer)
        ),
        201,
    )
    offer_id = UUID(offer["id"])
    run_id = UUID((await close_cycle(client, world))["id"])
    async with pool.acquire() as worker, pool.acquire() as api:
        await worker.execute("UPDATE match_run SET state = 'running' WHERE id = $1", run_id)
        storing = worker.transaction()
        await storing.start()
        await runs_db.select_run(worker, run_id, lock=True)  # as store_result does
        assert await runs_db.reserve_packs(worker, offer_id, 3)
        await runs_db.insert_result(
            worker,
            [
                PurchaseRow(
                    run_id=run_id,
                    offer_id=offer_id,
                    packs=3,
                    pack_units=10,
                    price_per_pack_ore=12500,
                )
            ],
            [],
            [],
        )
        assert await runs_db.finish_run(worker, run_id, NOTHING_YET, None) is not None

        async def rerun() -> None:
            async with api.transaction():
                await runs_db.supersede_cycle_runs(api, UUID(world.cycle["id"]))

        superseding = asyncio.create_task(rerun())
        await asyncio.sleep(0.5)  # the re-run is waiting on the worker's lock
        assert not superseding.done()
        await storing.commit()
        await superseding
        state = await api.fetchval("SELECT state FROM match_run WHERE id = $1", run_id)
        reserved = await api.fetchval("SELECT packs_reserved FROM offer WHERE id = $1", offer_id)
    assert (state, reserved) == ("superseded", 0)
