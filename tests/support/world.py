"""A small Swedish network built through the API, as a real client would build it."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from services.client import SamlastClient
from shared.db.pool import Pool
from tests.support.http import Client


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
    admin = SamlastClient(client, admin_token)
    world.network = await admin.create_network(
        {
            "name": name,
            "region": "Uppsala",
            "hub": {"lat": 59.8586, "lon": 17.6389, "address": "Boländerna"},
        }
    )
    network_id = world.network["id"]
    coordinating = await admin.create_organisation(
        {"kind": "coordinator", "name": f"{name} samordning", "network_ids": [network_id]}
    )
    world.coordinator = await _token(admin, coordinating["id"], "Samordnare")
    coordinator = admin.as_(world.coordinator)
    producer = await coordinator.create_organisation(
        {
            "kind": "producer",
            "name": "Ekeby Gård",
            "network_ids": [network_id],
            "location": {"lat": 59.9126, "lon": 17.5203, "address": "Ekeby 1, Uppsala"},
            "windows": [{"weekday": 3, "opens": "07:00:00", "closes": "11:00:00"}],
        }
    )
    world.producer_id = producer["id"]
    world.producer = await _token(coordinator, producer["id"], "Anna på Ekeby")
    coop = await coordinator.create_organisation(
        {
            "kind": "coop",
            "name": "Matkassen Luthagen",
            "network_ids": [network_id],
            "location": {"lat": 59.8656, "lon": 17.6236, "address": "Luthagsesplanaden 5"},
        }
    )
    world.coop_id = coop["id"]
    world.coop = await _token(coordinator, coop["id"], "Erik i Luthagen")
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
        created = await coordinator.create_product(network_id, product)
        world.products[str(product["name"])] = created
    world.cycle = await open_cycle(client, world, closes_in_days=2)
    return world


def as_coordinator(client: Client, world: World) -> SamlastClient:
    """The API as the world's coordinator sees it."""
    return SamlastClient(client, world.coordinator)


async def open_cycle(client: Client, world: World, closes_in_days: int = 1) -> dict[str, Any]:
    """A new cycle of the world's network, open since an hour ago, delivering two days
    after it closes."""
    now = dt.datetime.now(dt.UTC)
    return await as_coordinator(client, world).open_cycle(
        world.network["id"],
        {
            "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
            "closes_at": (now + dt.timedelta(days=closes_in_days)).isoformat(),
            "delivery_date": (now + dt.timedelta(days=closes_in_days + 2)).date().isoformat(),
        },
    )


async def order(
    client: Client, cycle_id: str, coop_token: str, lines: list[dict[str, Any]]
) -> dict[str, Any]:
    """A co-op's demand round in the cycle, as the co-op submits it."""
    return await SamlastClient(client, coop_token).submit_demand(cycle_id, lines)


async def close_cycle(client: Client, world: World) -> dict[str, Any]:
    """Close the world's cycle as its coordinator; the run that closing queued."""
    coordinator = as_coordinator(client, world)
    await coordinator.close_cycle(world.cycle["id"])
    (run,) = await coordinator.runs(world.cycle["id"])
    return dict(run)


async def proposed_run(client: Client, world: World) -> dict[str, Any]:
    """Close the world's cycle and wait for the worker to propose its run (the test's
    timeout bounds the wait)."""
    coordinator = as_coordinator(client, world)
    await coordinator.close_cycle(world.cycle["id"])
    while True:
        (run,) = await coordinator.runs(world.cycle["id"])
        if run["state"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.5)
    assert run["state"] == "proposed", run
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
    return await as_coordinator(client, world).add_vehicle(world.network["id"], body)


async def add_coop(client: Client, world: World) -> tuple[str, str]:
    """A second co-op of the world's network, Svartbäcken, with its token: (id, token)."""
    coordinator = as_coordinator(client, world)
    coop = await coordinator.create_organisation(
        {
            "kind": "coop",
            "name": "Matkassen Svartbäcken",
            "network_ids": [world.network["id"]],
            "location": {"lat": 59.8690, "lon": 17.6480, "address": "Svartbäcksgatan 30"},
        }
    )
    return str(coop["id"]), await _token(coordinator, coop["id"], "Olle")


async def offers_of(pool: Pool, producer_id: str) -> int:
    """How many offers the producer has in the database, withdrawn ones too."""
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM offer WHERE producer_id = $1::uuid", producer_id
            )
        )


def offer_form(world: World, **fields: str) -> dict[str, str]:
    """The producer's offer form (``/app/offers``) filled in for the world's carrots, as
    typed in the page; ``fields`` change or add to it."""
    today = dt.date.today()
    form = {
        "product": f"{world.network['id']}:{world.products['Morötter']['id']}",
        "pack_size": "10",
        "packs_available": "4",
        "price_per_pack": "120,50",
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=14)).isoformat(),
        "lat": "59.91",
        "lon": "17.52",
        "opens": "07:00",
        "closes": "11:00",
    }
    return {**form, **fields}


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


async def _token(issuer: SamlastClient, organisation_id: str, user_name: str) -> str:
    return await issuer.issue_token(organisation_id, label=user_name)
