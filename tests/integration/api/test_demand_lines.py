"""A co-op's order through the API: several lines of one product, line ids kept through
an edit, and the ids a run's result names being the ones the co-op was given."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.client import SamlastClient
from services.matcher.matching.run import run_match
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.world import add_van, build_world, close_cycle, offer_body


async def test_two_lines_of_one_product_each_keep_their_terms(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    carrots = world.products["Morötter"]["id"]
    created = await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={
                "lines": [
                    {"product_id": carrots, "firm_quantity": 10},
                    {"product_id": carrots, "firm_quantity": 5, "max_unit_price_ore": 2000},
                ]
            },
            headers=bearer(world.coop),
        ),
        201,
    )
    lines = created["lines"]
    assert [(line["firm_quantity"], line["max_unit_price_ore"]) for line in lines] == [
        (10, None),
        (5, 2000),
    ]
    assert len({line["id"] for line in lines}) == 2
    assert all(UUID(line["id"]) for line in lines)


async def test_an_edit_keeps_the_ids_of_the_lines_it_names(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    carrots = world.products["Morötter"]["id"]
    milk = world.products["Mjölk"]["id"]
    created = await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={
                "lines": [
                    {"product_id": carrots, "firm_quantity": 10},
                    {"product_id": milk, "firm_quantity": 6},
                ]
            },
            headers=bearer(world.coop),
        ),
        201,
    )
    kept, dropped = created["lines"]
    path = f"/v1/demand-rounds/{created['id']}"
    etag = (await client.get(path, headers=bearer(world.coop))).headers["etag"]
    edited = await SamlastClient(client, world.coop).replace_demand_lines(
        created["id"],
        [
            {"product_id": milk, "firm_quantity": 4},
            {"id": kept["id"], "product_id": carrots, "firm_quantity": 12, "tolerance": 3},
        ],
        etag,
    )
    new, changed = edited["lines"]
    assert changed["id"] == kept["id"]
    assert (changed["line_no"], changed["firm_quantity"], changed["tolerance"]) == (2, 12, 3)
    assert new["id"] not in (kept["id"], dropped["id"])
    assert (new["line_no"], new["product_id"], new["firm_quantity"]) == (1, milk, 4)
    again = await ok(await client.get(path, headers=bearer(world.coop)))
    assert [line["id"] for line in again["lines"]] == [new["id"], kept["id"]]


async def test_an_edit_may_not_name_lines_of_other_rounds_or_one_line_twice(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    carrots = world.products["Morötter"]["id"]
    created = await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": carrots, "firm_quantity": 10}]},
            headers=bearer(world.coop),
        ),
        201,
    )
    (line,) = created["lines"]
    path = f"/v1/demand-rounds/{created['id']}/lines"
    etag = (
        await client.get(f"/v1/demand-rounds/{created['id']}", headers=bearer(world.coop))
    ).headers["etag"]
    stranger = "00000000-0000-4000-8000-000000000001"
    refused = await client.put(
        path,
        json={
            "lines": [
                {"id": line["id"], "product_id": carrots, "firm_quantity": 1},
                {"id": line["id"], "product_id": carrots, "firm_quantity": 2},
                {"id": stranger, "product_id": carrots, "firm_quantity": 3},
            ]
        },
        headers={**bearer(world.coop), "If-Match": etag},
    )
    assert refused.status_code == 422, refused.text
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [(2, "id"), (3, "id")]
    unchanged = await ok(
        await client.get(f"/v1/demand-rounds/{created['id']}", headers=bearer(world.coop))
    )
    assert unchanged["lines"] == created["lines"]
    new_round_with_an_id = await client.post(
        f"/v1/cycles/{world.cycle['id']}/demand-rounds",
        json={"lines": [{"id": line["id"], "product_id": carrots, "firm_quantity": 1}]},
        headers=bearer(world.coop),
    )
    assert new_round_with_an_id.status_code == 422


async def test_the_result_names_the_lines_the_coop_was_given(
    client: Client, admin_token: str, pool: Pool, settings: Settings
) -> None:
    """10 kg at any price and 5 kg more only below 10 kr/kg: carrots at 12,50 kr/kg fill
    the first line, and the second is short for its price."""
    world = await build_world(client, admin_token)
    await add_van(client, world)
    carrots = world.products["Morötter"]["id"]
    await ok(
        await client.post(
            "/v1/offers",
            json=offer_body(world, pack_units=10, packs_available=3),
            headers=bearer(world.producer),
        ),
        201,
    )
    created = await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={
                "lines": [
                    {"product_id": carrots, "firm_quantity": 10},
                    {"product_id": carrots, "firm_quantity": 5, "max_unit_price_ore": 1000},
                ]
            },
            headers=bearer(world.coop),
        ),
        201,
    )
    any_price, cheap_only = (line["id"] for line in created["lines"])
    run = await close_cycle(client, world)
    assert await run_match(pool, settings, UUID(run["id"])) == "stored"
    result: dict[str, Any] = await ok(
        await client.get(f"/v1/runs/{run['id']}/result", headers=bearer(world.coordinator))
    )
    assert [(a["demand_line_id"], a["units"]) for a in result["allocations"]] == [(any_price, 10)]
    assert [(u["demand_line_id"], u["units_short"], u["reason"]) for u in result["unfilled"]] == [
        (cheap_only, 5, "price_above_max")
    ]
    assert {a["coop_id"] for a in result["allocations"]} == {world.coop_id}
