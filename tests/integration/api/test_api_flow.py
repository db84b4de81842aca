"""The first day of a network, through the API only: the flow a new integrator follows."""

from __future__ import annotations

from tests.support.http import Client, bearer, ok
from tests.support.world import build_world, offer_body


async def test_a_cycle_from_nothing_to_submitted_demand(client: Client, admin_token: str) -> None:
    world = await build_world(client, admin_token)
    carrots = world.products["Morötter"]["id"]

    offer = await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)), 201
    )
    assert offer["producer_id"] == world.producer_id
    assert offer["packs_reserved"] == 0

    listed = await ok(
        await client.get(
            "/v1/offers", params={"network_id": world.network["id"]}, headers=bearer(world.coop)
        )
    )
    assert [item["id"] for item in listed["items"]] == [offer["id"]]

    demand = await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={
                "lines": [
                    {
                        "product_id": carrots,
                        "firm_quantity": 4,
                        "tolerance": 2,
                        "max_unit_price_ore": 1500,
                    }
                ]
            },
            headers=bearer(world.coop),
        ),
        201,
    )
    assert demand["coop_id"] == world.coop_id
    assert [(line["firm_quantity"], line["tolerance"]) for line in demand["lines"]] == [(4, 2)]

    seen_by_coordinator = await ok(
        await client.get(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds", headers=bearer(world.coordinator)
        )
    )
    assert [round_["id"] for round_ in seen_by_coordinator] == [demand["id"]]


async def test_demand_edits_after_close_say_the_cycle_closed(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    carrots = world.products["Morötter"]["id"]
    created = await client.post(
        f"/v1/cycles/{world.cycle['id']}/demand-rounds",
        json={"lines": [{"product_id": carrots, "firm_quantity": 4}]},
        headers=bearer(world.coop),
    )
    await ok(created, 201)
    await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/close", headers=bearer(world.coordinator)
        )
    )
    response = await client.put(
        f"/v1/demand-rounds/{created.json()['id']}/lines",
        json={"lines": [{"product_id": carrots, "firm_quantity": 9}]},
        headers={**bearer(world.coop), "If-Match": created.headers["etag"]},
    )
    assert response.status_code == 409
    assert "closed" in response.json()["detail"]
    unchanged = await ok(
        await client.get(f"/v1/demand-rounds/{created.json()['id']}", headers=bearer(world.coop))
    )
    assert unchanged["lines"][0]["firm_quantity"] == 4
