"""A small Swedish network built through the API, as a real client would build it."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from shared.db.pool import Pool
from tests.conftest import Client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None


@dataclass
class World:
    admin: str
    network: dict[str, Any] = field(default_factory=dict)
    coordinator: str = ""
    producer: str = ""
    producer_id: str = ""
    coop: str = ""
    coop_id: str = ""
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    cycle: dict[str, Any] = field(default_factory=dict)


async def build_world(client: Client, admin_token: str, name: str | None = None) -> World:
    """Admin → network + coordinator; coordinator → producer, co-op, products, open cycle."""
    world = World(admin=admin_token)
    name = name or f"Uppsala län {secrets.token_hex(3)}"
    world.network = await ok(
        await client.post(
            "/v1/networks",
            json={
                "name": name,
                "region": "Uppsala",
                "hub": {"lat": 59.8586, "lon": 17.6389, "address": "Boländerna"},
            },
            headers=bearer(admin_token),
        ),
        201,
    )
    network_id = world.network["id"]
    world.coordinator = await _organisation_token(
        client,
        admin_token,
        {"kind": "coordinator", "name": f"{name} samordning", "network_ids": [network_id]},
    )
    producer = await ok(
        await client.post(
            "/v1/organisations",
            json={
                "kind": "producer",
                "name": "Ekeby Gård",
                "network_ids": [network_id],
                "location": {"lat": 59.9126, "lon": 17.5203, "address": "Ekeby 1, Uppsala"},
                "windows": [{"weekday": 3, "opens": "07:00:00", "closes": "11:00:00"}],
            },
            headers=bearer(world.coordinator),
        ),
        201,
    )
    world.producer_id = producer["id"]
    world.producer = await _token(client, world.coordinator, producer["id"], "Anna på Ekeby")
    coop = await ok(
        await client.post(
            "/v1/organisations",
            json={
                "kind": "coop",
                "name": "Matkassen Luthagen",
                "network_ids": [network_id],
                "location": {"lat": 59.8656, "lon": 17.6236, "address": "Luthagsesplanaden 5"},
            },
            headers=bearer(world.coordinator),
        ),
        201,
    )
    world.coop_id = coop["id"]
    world.coop = await _token(client, world.coordinator, coop["id"], "Erik i Luthagen")
    for product in (
        {"name": "Morötter", "unit": "kg", "grams_per_unit": 1000, "ml_per_unit": 1500},
        {
            "name": "Mjölk",
            "unit": "l",
            "grams_per_unit": 1030,
            "ml_per_unit": 1000,
            "temperature": "chilled",
        },
    ):
        created = await ok(
            await client.post(
                f"/v1/networks/{network_id}/products",
                json=product,
                headers=bearer(world.coordinator),
            ),
            201,
        )
        world.products[str(product["name"])] = created
    world.cycle = await open_cycle(client, world, closes_in_days=2)
    return world


async def open_cycle(client: Client, world: World, closes_in_days: int = 1) -> dict[str, Any]:
    """A new cycle of the world's network, open since an hour ago, delivering two days
    after it closes."""
    now = dt.datetime.now(dt.UTC)
    cycle: dict[str, Any] = await ok(
        await client.post(
            f"/v1/networks/{world.network['id']}/cycles",
            json={
                "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
                "closes_at": (now + dt.timedelta(days=closes_in_days)).isoformat(),
                "delivery_date": (now + dt.timedelta(days=closes_in_days + 2)).date().isoformat(),
            },
            headers=bearer(world.coordinator),
        ),
        201,
    )
    return cycle


async def order(
    client: Client, cycle_id: str, coop_token: str, lines: list[dict[str, Any]]
) -> dict[str, Any]:
    """A co-op's demand round in the cycle, as the co-op submits it."""
    created: dict[str, Any] = await ok(
        await client.post(
            f"/v1/cycles/{cycle_id}/demand-rounds",
            json={"lines": lines},
            headers=bearer(coop_token),
        ),
        201,
    )
    return created


async def close_cycle(client: Client, world: World) -> dict[str, Any]:
    """Close the world's cycle as its coordinator; the run that closing queued."""
    path = f"/v1/cycles/{world.cycle['id']}"
    headers = bearer(world.coordinator)
    await ok(await client.post(path + "/close", headers=headers))
    (run,) = await ok(await client.get(path + "/runs", headers=headers))
    return dict(run)


async def add_van(client: Client, world: World) -> dict[str, Any]:
    """A cold van at the network's depot in Uppsala, added by the coordinator."""
    body = {
        "name": "Kylbil",
        "capacity_grams": 900_000,
        "capacity_ml": 4_000_000,
        "cold_capable": True,
        "start": {"lat": 59.8586, "lon": 17.6389},
        "cost_per_km_ore": 450,
        "cost_per_hour_ore": 30_000,
    }
    path = f"/v1/networks/{world.network['id']}/vehicles"
    return dict(
        await ok(await client.post(path, json=body, headers=bearer(world.coordinator)), 201)
    )


async def add_coop(client: Client, world: World) -> tuple[str, str]:
    """A second co-op of the world's network, Svartbäcken, with its token: (id, token)."""
    coop = await ok(
        await client.post(
            "/v1/organisations",
            json={
                "kind": "coop",
                "name": "Matkassen Svartbäcken",
                "network_ids": [world.network["id"]],
                "location": {"lat": 59.8690, "lon": 17.6480, "address": "Svartbäcksgatan 30"},
            },
            headers=bearer(world.coordinator),
        ),
        201,
    )
    return str(coop["id"]), await _token(client, world.coordinator, coop["id"], "Olle")


async def offers_of(pool: Pool, producer_id: str) -> int:
    """How many offers the producer has in the database, withdrawn ones too."""
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM offer WHERE producer_id = $1::uuid", producer_id
            )
        )


def offer_body(world: World, product: str = "Morötter", **overrides: Any) -> dict[str, Any]:
    today = dt.date.today()
    body = {
        "listings": [
            {"network_id": world.network["id"], "product_id": world.products[product]["id"]}
        ],
        "pack_units": 10,
        "packs_available": 12,
        "price_per_pack_ore": 12500,
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=30)).isoformat(),
        "pickup": {"lat": 59.9126, "lon": 17.5203, "address": "Ekeby 1"},
        "pickup_windows": [{"opens": "07:00:00", "closes": "11:00:00"}],
    }
    body.update(overrides)
    return body


async def _organisation_token(client: Client, admin: str, body: dict[str, Any]) -> str:
    organisation = await ok(
        await client.post("/v1/organisations", json=body, headers=bearer(admin)), 201
    )
    return await _token(client, admin, organisation["id"], "Samordnare")


async def _token(client: Client, issuer: str, organisation_id: str, user_name: str) -> str:
    created = await ok(
        await client.post(
            f"/v1/organisations/{organisation_id}/tokens",
            json={"user_name": user_name, "label": "tests"},
            headers=bearer(issuer),
        ),
        201,
    )
    token: str = created["token"]
    return token
