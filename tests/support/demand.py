"""A network with demand worth signalling: six co-ops order carrots, four potatoes, two
milk; Ekeby Gård offers carrots and potatoes at 12,50 kr/kg, above what three of the
co-ops will pay. What each sum of the demand signal should then show is in ``SIGNAL``'s
comments (tests/integration/web/test_demand_signal.py and the browser test read it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from services.client import SamlastClient
from services.matcher.matching.run import run_match
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client
from tests.support.live import settled
from tests.support.world import World, add_van, as_coordinator, build_world, offer_body, order

COOPS = ("Luthagen", "Svartbäcken", "Gottsunda", "Eriksberg", "Sävja", "Gränby")
CHEAP = 100  # öre per unit: below the 1 250 öre per kg on offer
# (product, firm units, max price) per co-op, in COOPS' order: carrots by all six (three
# of them priced out), potatoes by four (three priced out), milk, which no one offers, by two
ORDERS: tuple[tuple[tuple[str, int, int | None], ...], ...] = (
    (("Morötter", 10, None), ("Potatis", 10, None), ("Mjölk", 7, None)),
    (("Morötter", 10, None), ("Mjölk", 9, None)),
    (("Morötter", 10, None),),
    (("Morötter", 5, CHEAP), ("Potatis", 5, CHEAP)),
    (("Morötter", 5, CHEAP), ("Potatis", 5, CHEAP)),
    (("Morötter", 5, CHEAP), ("Potatis", 5, CHEAP)),
)


@dataclass
class Demanding:
    world: World
    coops: dict[str, str] = field(default_factory=dict)  # name → token
    products: dict[str, str] = field(default_factory=dict)  # name → id


async def demanding_network(client: Client, admin_token: str) -> Demanding:
    """The world of ``build_world`` with five more co-ops, potatoes, a van, the two offers
    and the orders of ``ORDERS`` in its open cycle."""
    world = await build_world(client, admin_token)
    coordinator = as_coordinator(client, world)
    network_id = world.network["id"]
    potatoes = await coordinator.create_product(
        network_id, {"name": "Potatis", "unit": "kg", "grams_per_unit": 1000, "ml_per_unit": 1500}
    )
    world.products["Potatis"] = potatoes
    found = Demanding(world, products={name: p["id"] for name, p in world.products.items()})
    found.coops["Luthagen"] = world.coop
    for number, name in enumerate(COOPS[1:]):
        coop = await coordinator.create_organisation(
            {
                "kind": "coop",
                "name": f"Matkassen {name}",
                "network_ids": [network_id],
                "location": {"lat": 59.85 + number / 100, "lon": 17.63, "address": name},
            }
        )
        found.coops[name] = await coordinator.issue_token(coop["id"], label=f"Kassör i {name}")
    await add_van(client, world)
    producer = SamlastClient(client, world.producer)
    for product in ("Morötter", "Potatis"):
        await producer.post_offer(offer_body(world, product))
    for name, lines in zip(COOPS, ORDERS, strict=True):
        await order(
            client,
            world.cycle["id"],
            found.coops[name],
            [
                {"product_id": found.products[product], "firm_quantity": units}
                | ({"max_unit_price_ore": limit} if limit is not None else {})
                for product, units, limit in lines
            ],
        )
    return found


async def publish_the_cycle(
    client: Client, pool: Pool, settings: Settings, found: Demanding
) -> dict[str, Any]:
    """Close the open cycle, match it here as a worker would, approve and publish it.
    Where a matcher serves the session's queue (the browser tests' API has one), it may
    take the run first; then its result is waited for: either way the run is stored."""
    coordinator = as_coordinator(client, found.world)
    cycle_id = found.world.cycle["id"]
    await coordinator.close_cycle(cycle_id)
    (run,) = await coordinator.runs(cycle_id)
    if await run_match(pool, settings, UUID(run["id"])) != "stored":
        await settled(pool, [cycle_id])
    async with pool.acquire() as conn:
        state = await conn.fetchval("SELECT state FROM match_run WHERE id = $1", UUID(run["id"]))
    assert state == "proposed", state
    await coordinator.approve(run["id"], "ser bra ut")
    return await coordinator.publish(run["id"])
