"""Closing a cycle runs the matcher: a real worker, real PostgreSQL, real Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from arq.constants import in_progress_key_prefix

from infra.processes import samlast_process
from services.matcher.matching import run as matching
from services.matcher.matching.run import run_match
from shared.db import runs as runs_db
from shared.db.pool import Pool
from shared.queue import connect_queue
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.runs import drain
from tests.support.world import World, add_van, build_world, close_cycle, offer_body


async def _order(client: Client, world: World, lines: list[tuple[str, int, int]]) -> None:
    body = {
        "lines": [
            {"product_id": world.products[name]["id"], "firm_quantity": q, "tolerance": t}
            for name, q, t in lines
        ]
    }
    await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds", json=body, headers=bearer(world.coop)
        ),
        201,
    )


async def _reserved(pool: Pool, offer_id: str) -> int:
    async with pool.acquire() as conn:
        reserved: int = await conn.fetchval(
            "SELECT packs_reserved FROM offer WHERE id = $1::uuid", offer_id
        )
    return reserved


async def test_closing_a_cycle_queues_a_run_the_worker_stores_once(
    client: Client, admin_token: str, settings: Settings, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    offer = await ok(
        await client.post(
            "/v1/offers",
            json=offer_body(world, pack_units=10, packs_available=3),
            headers=bearer(world.producer),
        ),
        201,
    )
    await _order(client, world, [("Morötter", 14, 6), ("Mjölk", 4, 0)])
    run = await close_cycle(client, world)
    assert (run["state"], run["run_version"]) == ("queued", 1)

    await drain(settings)
    headers = bearer(world.coordinator)
    stored = await ok(await client.get(f"/v1/runs/{run['id']}", headers=headers))
    assert (stored["state"], stored["stage"], stored["percent"]) == ("proposed", "done", 100)
    result = await ok(await client.get(f"/v1/runs/{run['id']}/result", headers=headers))
    assert result["purchases"] == [
        {"offer_id": offer["id"], "packs": 2, "pack_units": 10, "price_per_pack_ore": 12500}
    ]
    (allocation,) = result["allocations"]
    assert (allocation["units"], allocation["tolerance_units"]) == (20, 6)
    (unfilled,) = result["unfilled"]
    assert (unfilled["reason"], unfilled["units_short"]) == ("no_offer", 4)  # no milk offered
    assert result["run"]["summary"]["firm_units_filled"] == 14
    assert await _reserved(pool, offer["id"]) == 2
    cycle = await ok(await client.get(f"/v1/cycles/{world.cycle['id']}", headers=headers))
    assert cycle["state"] == "matched"

    # the same job again (a retry, a re-queue after a lost job) stores nothing twice
    assert await run_match(pool, settings, UUID(run["id"])) == "skipped"
    again = await ok(await client.get(f"/v1/runs/{run['id']}/result", headers=headers))
    assert again["allocations"] == result["allocations"]
    assert await _reserved(pool, offer["id"]) == 2


async def test_a_new_run_supersedes_the_proposal_and_moves_the_reservation(
    client: Client, admin_token: str, settings: Settings, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    headers = bearer(world.producer)
    first = await ok(await client.post("/v1/offers", json=offer_body(world), headers=headers), 201)
    second = await ok(
        await client.post(
            "/v1/offers", json=offer_body(world, price_per_pack_ore=13000), headers=headers
        ),
        201,
    )
    await _order(client, world, [("Morötter", 10, 0)])
    run = await close_cycle(client, world)
    await drain(settings)
    assert await _reserved(pool, first["id"]) == 1  # the cheaper one

    coordinator = bearer(world.coordinator)
    rerun = await client.post(
        f"/v1/cycles/{world.cycle['id']}/runs",
        json={"exclude_offers": [first["id"]]},
        headers=coordinator,
    )
    assert rerun.status_code == 201, rerun.text
    assert rerun.json()["run_version"] == 2
    assert rerun.json()["exclude_offers"] == [first["id"]]
    assert await _reserved(pool, first["id"]) == 0  # released with the superseded proposal
    await drain(settings)
    old = await ok(await client.get(f"/v1/runs/{run['id']}/result", headers=coordinator))
    new = await ok(await client.get(rerun.headers["location"] + "/result", headers=coordinator))
    assert old["run"]["state"] == "superseded"  # still readable
    assert [p["offer_id"] for p in old["purchases"]] == [first["id"]]
    assert [p["offer_id"] for p in new["purchases"]] == [second["id"]]
    assert await _reserved(pool, second["id"]) == 1


async def test_runs_of_two_networks_sharing_an_offer_never_oversell(
    client: Client, admin_token: str, settings: Settings, pool: Pool
) -> None:
    """One producer lists 3 packs in two networks; both want all of them."""
    uppsala = await build_world(client, admin_token)
    gavle = await build_world(client, admin_token)
    await ok(
        await client.post(
            f"/v1/networks/{gavle.network['id']}/members",
            json={"organisation_id": uppsala.producer_id},
            headers=bearer(admin_token),
        ),
        204,
    )
    body = offer_body(uppsala, pack_units=10, packs_available=3)
    body["listings"].append(
        {"network_id": gavle.network["id"], "product_id": gavle.products["Morötter"]["id"]}
    )
    offer = await ok(
        await client.post("/v1/offers", json=body, headers=bearer(uppsala.producer)), 201
    )
    await _order(client, uppsala, [("Morötter", 30, 0)])
    await _order(client, gavle, [("Morötter", 30, 0)])
    runs = [await close_cycle(client, uppsala), await close_cycle(client, gavle)]
    outcomes = await asyncio.gather(*(run_match(pool, settings, UUID(run["id"])) for run in runs))
    assert sorted(outcomes) == ["stored", "stored"]
    packs = []
    for world, run in ((uppsala, runs[0]), (gavle, runs[1])):
        result = await ok(
            await client.get(f"/v1/runs/{run['id']}/result", headers=bearer(world.coordinator))
        )
        packs.append(sum(p["packs"] for p in result["purchases"]))
    assert sum(packs) == 3  # whoever stored second recomputed on what was left
    assert await _reserved(pool, offer["id"]) == 3


async def test_the_event_stream_follows_a_run_until_it_is_proposed(
    client: Client, admin_token: str, settings_env: dict[str, str], tmp_path: Path
) -> None:
    world = await build_world(client, admin_token)
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    await _order(client, world, [("Morötter", 10, 0)])
    run = await close_cycle(client, world)
    events = []
    with samlast_process(["worker"], settings_env, tmp_path / "worker.log"):
        async with client.stream(
            "GET", f"/v1/runs/{run['id']}/events", headers=bearer(world.coordinator)
        ) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
    assert events[-1]["state"] == "proposed"
    assert [e["percent"] for e in events] == sorted(e["percent"] for e in events)


async def test_the_matcher_closes_cycles_past_their_deadline(
    client: Client, admin_token: str, settings: Settings, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    await _order(client, world, [("Morötter", 10, 0)])
    async with pool.acquire() as conn:  # the deadline passes
        await conn.execute(
            "UPDATE cycle SET closes_at = now() - interval '1 second', "
            "opens_at = now() - interval '1 hour' WHERE id = $1::uuid",
            world.cycle["id"],
        )
    await drain(settings)
    headers = bearer(world.coordinator)
    cycle = await ok(await client.get(f"/v1/cycles/{world.cycle['id']}", headers=headers))
    (run,) = await ok(await client.get(f"/v1/cycles/{world.cycle['id']}/runs", headers=headers))
    assert cycle["state"] == "matched"
    assert run["state"] == "proposed"
    assert dt.datetime.fromisoformat(run["finished_at"]) > dt.datetime.fromisoformat(
        run["created_at"]
    )


async def test_a_run_whose_worker_died_mid_run_completes_once_after_restart(
    client: Client,
    admin_token: str,
    settings: Settings,
    settings_env: dict[str, str],
    pool: Pool,
    tmp_path: Path,
) -> None:
    """The dead worker claimed the run and held arq's lock on its job; then silence."""
    world = await build_world(client, admin_token)
    offer = await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    await _order(client, world, [("Morötter", 20, 0)])
    run = await close_cycle(client, world)
    queue = await connect_queue(settings)
    try:
        async with pool.acquire() as conn:
            assert await runs_db.claim_run(conn, UUID(run["id"])) is not None
            await conn.execute(
                "UPDATE match_run SET updated_at = now() - interval '5 minutes' WHERE id = $1",
                UUID(run["id"]),
            )
        await queue.psetex(in_progress_key_prefix + run["id"], 600_000, b"1")
        with samlast_process(["worker"], settings_env, tmp_path / "worker.log"):
            stored = await _wait_for(client, world, run["id"], "proposed")
    finally:
        await queue.aclose()
    assert stored["attempts"] == 2  # the dead worker's claim, then the new one
    result = await ok(
        await client.get(f"/v1/runs/{run['id']}/result", headers=bearer(world.coordinator))
    )
    assert [p["packs"] for p in result["purchases"]] == [2]
    assert await _reserved(pool, offer["id"]) == 2
    assert "took up 1 run(s) with no sign of life" in (tmp_path / "worker.log").read_text()


async def _wait_for(client: Client, world: World, run_id: str, state: str) -> dict[str, Any]:
    for _ in range(240):
        run = await ok(await client.get(f"/v1/runs/{run_id}", headers=bearer(world.coordinator)))
        if run["state"] == state:
            return dict(run)
        await asyncio.sleep(0.25)
    raise AssertionError(f"run {run_id} is still {run['state']}, not {state}")


async def test_a_run_that_fails_says_why_in_the_api(
    client: Client,
    admin_token: str,
    settings: Settings,
    pool: Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fault injection: the engine raises. The run records it; nothing is half stored."""
    world = await build_world(client, admin_token)
    offer = await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    await _order(client, world, [("Morötter", 10, 0)])
    run = await close_cycle(client, world)

    def broken_engine(problem: object, labels: object) -> object:
        raise ValueError("the engine met a case it cannot handle")

    monkeypatch.setattr(matching, "allocate_alike", broken_engine)
    assert await run_match(pool, settings, UUID(run["id"])) == "failed"
    headers = bearer(world.coordinator)
    failed = await ok(await client.get(f"/v1/runs/{run['id']}", headers=headers))
    assert failed["state"] == "failed"
    assert failed["error"] == "ValueError: the engine met a case it cannot handle"
    refused = await client.get(f"/v1/runs/{run['id']}/result", headers=headers)
    assert refused.status_code == 409
    assert await _reserved(pool, offer["id"]) == 0
    # a coordinator can try again with a new run, which the matcher stores
    monkeypatch.undo()
    again = await ok(
        await client.post(f"/v1/cycles/{world.cycle['id']}/runs", json={}, headers=headers), 201
    )
    assert await run_match(pool, settings, UUID(again["id"])) == "stored"


async def test_a_rerun_keeps_the_allocations_the_coordinator_pins(
    client: Client, admin_token: str, settings: Settings, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    producer, coordinator = bearer(world.producer), bearer(world.coordinator)
    cheap, dear = [
        await ok(
            await client.post(
                "/v1/offers",
                json=offer_body(world, packs_available=1, price_per_pack_ore=price),
                headers=producer,
            ),
            201,
        )
        for price in (12500, 13000)
    ]
    await _order(client, world, [("Morötter", 10, 0)])
    first = await close_cycle(client, world)
    await drain(settings)
    result = await ok(await client.get(f"/v1/runs/{first['id']}/result", headers=coordinator))
    (allocation,) = result["allocations"]
    assert allocation["offer_id"] == cheap["id"]
    line_id = allocation["demand_line_id"]
    runs = f"/v1/cycles/{world.cycle['id']}/runs"

    async def rerun(body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        answer = await client.post(runs, json=body, headers=coordinator)
        assert answer.status_code == status, answer.text
        return dict(answer.json())

    # the pinned crate is bought, and the rest of it goes to the line before the cheap one
    pin = {"offer_id": dear["id"], "demand_line_id": line_id, "units": 3}
    pinned = await rerun({"pins": [pin]})
    assert pinned["pins"] == [pin]
    await drain(settings)
    result = await ok(await client.get(f"/v1/runs/{pinned['id']}/result", headers=coordinator))
    assert [(a["offer_id"], a["units"]) for a in result["allocations"]] == [(dear["id"], 10)]
    assert (await _reserved(pool, cheap["id"]), await _reserved(pool, dear["id"])) == (0, 1)

    # pins are checked on the supply the superseded proposal frees: all of the dear crate
    whole = await rerun({"pins": [{**pin, "units": 10}]})
    await drain(settings)
    assert (await ok(await client.get(f"/v1/runs/{whole['id']}", headers=coordinator)))[
        "state"
    ] == "proposed"

    # pins that can't hold are refused, naming the pin and why
    for body, status, field, words in [
        ({"pins": [{**pin, "offer_id": str(UUID(int=7))}]}, 422, "pins[0].offer_id", "no such"),
        ({"pins": [{**pin, "units": 11}]}, 422, "pins", "more than its firm quantity"),
        ({"pins": [pin], "exclude_offers": [dear["id"]]}, 422, "pins[0].offer_id", "excluded"),
        ({"pins": [{**pin, "units": 0}]}, 400, "pins[0].units", ">= 1"),
    ]:
        problem = await rerun(body, status)
        named = problem.get("field") or problem["errors"][0]["field"]
        assert (named, words in json.dumps(problem)) == (field, True), problem

    # a pinned crate nobody can finish fails the run with the reason
    failing = await rerun({"pins": [pin, {**pin, "offer_id": cheap["id"]}]})  # 14 left over
    await drain(settings)
    failed = await ok(await client.get(f"/v1/runs/{failing['id']}", headers=coordinator))
    assert failed["state"] == "failed"
    assert "part of a pack" in failed["error"]
    assert cheap["id"] in failed["error"]  # the real id, not the engine's canonical one


async def test_a_run_plans_joint_routes_and_says_what_they_save(
    client: Client, admin_token: str, settings: Settings, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    coordinator = bearer(world.coordinator)
    await add_van(client, world)
    for name in ("Morötter", "Mjölk"):
        await ok(
            await client.post(
                "/v1/offers", json=offer_body(world, name), headers=bearer(world.producer)
            ),
            201,
        )
    await _order(client, world, [("Morötter", 20, 0), ("Mjölk", 10, 0)])
    run = await close_cycle(client, world)
    await drain(settings)

    stored = await ok(await client.get(f"/v1/runs/{run['id']}", headers=coordinator))
    routing = stored["routing"]
    assert (routing["shipments"], routing["unserved"]) == (2, 0)  # ambient and chilled
    assert routing["joint"]["routes"] == 1
    assert isinstance(routing["clock_capped"], bool)  # stored and served
    assert routing["savings"]["cost_ore"] == (
        routing["baseline"]["cost_ore"] - routing["joint"]["cost_ore"]
    )
    plans = await ok(await client.get(f"/v1/runs/{run['id']}/routes", headers=coordinator))
    (joint,) = [r for r in plans["routes"] if r["plan"] == "joint"]
    (alone,) = [r for r in plans["routes"] if r["plan"] == "baseline"]
    assert alone["producer_id"] == world.producer_id
    kinds = [stop["kind"] for stop in joint["stops"]]
    assert (kinds[0], kinds[-1], kinds.count("pickup"), kinds.count("delivery")) == (
        "start",
        "end",
        2,
        2,
    )
    assert [stop["load_grams"] for stop in joint["stops"]][-1] == 0
    (share,) = joint["cost_shares"]
    assert (share["organisation_id"], share["share_ore"]) == (world.coop_id, joint["cost_ore"])
    assert share["share_ore"] <= share["standalone_cost_ore"]

    geo = await client.get(f"/v1/runs/{run['id']}/routes.geojson", headers=coordinator)
    assert geo.status_code == 200, geo.text
    assert geo.headers["content-type"].startswith("application/geo+json")
    features = geo.json()["features"]
    assert [f["geometry"]["type"] for f in features].count("LineString") == 1
    assert {f["properties"]["plan"] for f in features} == {routing["proposed"]}
    assert features[0]["geometry"]["coordinates"][0] == [17.6389, 59.8586]  # from the depot


async def test_pick_lists_delivery_notes_and_route_sheets_follow_the_proposal(
    client: Client, admin_token: str, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    coordinator = bearer(world.coordinator)
    await add_van(client, world)
    offer = await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    await _order(client, world, [("Morötter", 15, 5)])
    run = await close_cycle(client, world)
    await drain(settings)
    base = f"/v1/runs/{run['id']}"

    (pick,) = await ok(await client.get(base + "/pick-lists", headers=coordinator))
    assert (pick["producer_id"], pick["coop_id"], pick["units"]) == (
        world.producer_id,
        world.coop_id,
        20,
    )
    assert pick["vehicle"] == "Kylbil"
    assert pick["pickup_at"] is not None

    (note,) = await ok(await client.get(base + "/delivery-notes", headers=coordinator))
    assert note["goods_ore"] == 2 * offer["price_per_pack_ore"]  # two whole packs
    assert sum(line["amount_ore"] for line in note["lines"]) == note["goods_ore"]
    plans = await ok(await client.get(base + "/routes", headers=coordinator))
    proposed = (await ok(await client.get(base, headers=coordinator)))["routing"]["proposed"]
    routes = [r for r in plans["routes"] if r["plan"] == proposed]
    assert note["transport_share_ore"] == sum(r["cost_ore"] for r in routes)
    assert note["lines"][0]["arrives_at"] > pick["pickup_at"]

    csv = await client.get(base + "/delivery-notes.csv", headers=coordinator)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("producer,product,unit,units,amount_ore")
    sheet = await client.get(f"{base}/routes/{routes[0]['id']}/sheet.html", headers=coordinator)
    assert sheet.status_code == 200, sheet.text
    assert sheet.headers["content-type"].startswith("text/html")
    assert "Kylbil" in sheet.text
    assert "Matkassen Luthagen" in sheet.text or "drop" in sheet.text
    rows = (
        await client.get(f"{base}/routes/{routes[0]['id']}/sheet.csv", headers=coordinator)
    ).text.splitlines()
    assert rows[0].startswith("seq,kind,arrival_at,departure_at,place")
    assert len(rows) == 1 + len(routes[0]["stops"])
    missing = await client.get(f"{base}/routes/{UUID(int=5)}/sheet.html", headers=coordinator)
    assert missing.status_code == 404
