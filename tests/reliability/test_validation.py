"""Bad bodies get a 4xx problem document naming the field, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db.pool import Pool
from tests.support.http import Client, bearer
from tests.support.world import World, build_world, offer_body, offers_of


@pytest.fixture
async def world(client: Client, admin_token: str) -> World:
    return await build_world(client, admin_token)


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != key}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            lambda b: {**b, "producer_id": "00000000-0000-0000-0000-000000000001"},
            "producer_id",
            "unknown",
        ),
        (lambda b: {**b, "status": "published"}, "status", "unknown"),
        (lambda b: _without(b, "pack_units"), "pack_units", "missing"),
        (lambda b: {**b, "pack_units": "10"}, "pack_units", "Expected `int`"),
        (lambda b: {**b, "pack_units": 0}, "pack_units", ">= 1"),
        (lambda b: {**b, "price_per_pack_ore": -5}, "price_per_pack_ore", ">= 0"),
        (lambda b: {**b, "valid_from": 20261128}, "valid_from", "Expected `date`"),
        (lambda b: {**b, "pickup": {"lat": 91, "lon": 17}}, "pickup.lat", "<= 90"),
        (
            lambda b: {**b, "listings": [{**b["listings"][0], "product_id": "carrots"}]},
            "listings[0].product_id",
            "uuid",
        ),
        (
            lambda b: {**b, "pickup_windows": [{"opens": "11:00:00", "closes": "07:00:00"}]},
            "pickup_windows[0]",
            "before",
        ),
        (lambda b: {**b, "note": "nul\u0000byte"}, "note", "NUL"),
        (
            lambda b: {**b, "valid_from": "2030-01-02", "valid_until": "2030-01-01"},
            "valid_from",
            "",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
async def test_an_invalid_offer_names_the_field_and_stores_nothing(
    client: Client, world: World, pool: Pool, change: Any, field: str, words: str
) -> None:
    before = await offers_of(pool, world.producer_id)
    response = await client.post(
        "/v1/offers", json=change(offer_body(world)), headers=bearer(world.producer)
    )
    assert response.status_code in {400, 422}, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["errors"][0]["field"] == field, problem
    assert words.lower() in problem["detail"].lower() + str(problem["errors"]).lower()
    assert await offers_of(pool, world.producer_id) == before


async def test_malformed_json_and_oversized_bodies_are_refused(
    client: Client, world: World
) -> None:
    headers = {**bearer(world.producer), "Content-Type": "application/json"}
    malformed = await client.post("/v1/offers", content=b'{"pack_units": ', headers=headers)
    assert malformed.status_code == 400
    too_big = await client.post(
        "/v1/offers", content=b'{"note": "' + b"x" * (6 * 1024 * 1024) + b'"}', headers=headers
    )
    assert too_big.status_code == 413
    assert too_big.json()["status"] == 413


async def test_a_body_naming_another_tenants_object_is_422_and_audited(
    client: Client, admin_token: str, pool: Pool
) -> None:
    """404 belongs to the URL's resource; a foreign id in the body is unusable content."""
    uppsala = await build_world(client, admin_token)
    gavle = await build_world(client, admin_token)
    path = f"/v1/networks/{uppsala.network['id']}/members"
    async with pool.acquire() as conn:
        mark = await conn.fetchval("SELECT max(id) FROM audit_log")
    foreign = await client.post(
        path, json={"organisation_id": gavle.producer_id}, headers=bearer(uppsala.coordinator)
    )
    missing = await client.post(
        path,
        json={"organisation_id": "00000000-0000-4000-8000-000000000000"},
        headers=bearer(uppsala.coordinator),
    )
    async with pool.acquire() as conn:
        audited = await conn.fetch(
            "SELECT outcome, action FROM audit_log WHERE id > $1 ORDER BY id", mark
        )
    assert foreign.status_code == missing.status_code == 422
    assert foreign.json()["detail"] == missing.json()["detail"] == "no such organisation"
    assert foreign.json()["field"] == "organisation_id"
    assert [tuple(row) for row in audited] == [("denied", "POST /v1/networks/{network_id}/members")]


async def test_creates_answer_201_with_location_and_etag_of_the_stored_object(
    client: Client, world: World
) -> None:
    created = await client.post(
        "/v1/offers", json=offer_body(world), headers=bearer(world.producer)
    )
    assert created.status_code == 201
    read = await client.get(created.headers["location"], headers=bearer(world.producer))
    assert read.json() == created.json()
    assert read.headers["etag"] == created.headers["etag"]
    network = await client.get(
        f"/v1/networks/{world.network['id']}", headers=bearer(world.coordinator)
    )
    assert network.json()["hub"]["address"] == "Boländerna"  # kept, as sent
