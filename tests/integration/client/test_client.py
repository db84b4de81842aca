"""The one API client (services/client): a refusal reaches the caller with the server's
problem details, whatever the status; answers come back as the API's JSON."""

from __future__ import annotations

import pytest

from services.client import ApiError, SamlastClient
from tests.support.http import Client
from tests.support.world import build_world


async def test_a_refused_request_raises_with_the_problem_details(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    coop = SamlastClient(client, world.coop)
    egg = {"name": "Ägg", "unit": "piece", "grams_per_unit": 62, "ml_per_unit": 70}
    with pytest.raises(ApiError) as refused:
        await coop.create_product(world.network["id"], egg)
    assert refused.value.status == 403
    assert refused.value.problem["status"] == 403
    assert refused.value.problem["instance"] == f"/v1/networks/{world.network['id']}/products"
    assert str(refused.value).startswith("POST /v1/networks/")

    coordinator = coop.as_(world.coordinator)
    with pytest.raises(ApiError) as invalid:
        await coordinator.create_product(world.network["id"], {**egg, "grams_per_unit": -1})
    assert invalid.value.status == 400
    assert [error["field"] for error in invalid.value.problem["errors"]] == ["grams_per_unit"]

    with pytest.raises(ApiError) as unknown:
        await coop.as_("sl_not-a-token").runs(world.cycle["id"])
    assert unknown.value.status == 401


async def test_answers_are_the_apis_json(client: Client, admin_token: str) -> None:
    world = await build_world(client, admin_token)
    coordinator = SamlastClient(client, world.coordinator)
    created = await coordinator.create_product(
        world.network["id"],
        {"name": "Ägg", "unit": "piece", "grams_per_unit": 62, "ml_per_unit": 70},
    )
    assert created["name"] == "Ägg"
    assert await coordinator.runs(world.cycle["id"]) == []
    producer = coordinator.as_(world.producer)
    assert producer.http is coordinator.http  # one connection, another token
    token = await coordinator.issue_token(world.coop_id, label="tests")
    assert token.startswith("sl_")


async def test_members_added_and_removed_through_the_client(
    client: Client, admin_token: str
) -> None:
    uppsala = await build_world(client, admin_token)
    gavle = await build_world(client, admin_token)
    admin = SamlastClient(client, admin_token)
    coop = admin.as_(uppsala.coop)
    milk = {"product_id": gavle.products["Mjölk"]["id"], "firm_quantity": 6}
    with pytest.raises(ApiError) as stranger:
        await coop.submit_demand(gavle.cycle["id"], [milk])
    assert stranger.value.status == 404  # another network's cycle is not there to see
    await admin.add_member(gavle.network["id"], uppsala.coop_id)
    assert (await coop.submit_demand(gavle.cycle["id"], [milk]))["id"]
    await admin.remove_member(gavle.network["id"], uppsala.coop_id)
    with pytest.raises(ApiError) as refused:
        await coop.submit_demand(gavle.cycle["id"], [milk])
    assert (refused.value.status, refused.value.problem["detail"]) == (404, "no such cycle")
