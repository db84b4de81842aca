"""Money for tests: invoicing details for a world's organisations, and a published run."""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from services.matcher.matching.run import run_match
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.world import World, add_coop, add_van, close_cycle, offer_body

# Valid numbers by their check digits (Luhn, mod 97): made up, not anyone's.
ORG_NUMBERS = ["556016-0680", "556036-0793", "802015-1232", "556677-8899"]


def details_body(name: str, org_number: str = "556016-0680", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "legal_name": f"{name} ekonomisk förening",
        "org_number": org_number,
        "vat_number": f"SE{org_number.replace('-', '')}01",
        "billing_address": f"{name}, Storgatan 1, 753 20 Uppsala",
        "bankgiro": "5050-1055",
        "iban": "SE45 5000 0000 0583 9825 7466",
        "payment_terms_days": 20,
    }
    body.update(overrides)
    return body


async def coordinator_id(client: Client, world: World) -> str:
    """The id of the world's coordinating organisation (as build_world names it)."""
    organisations = await ok(
        await client.get(
            "/v1/organisations",
            params={"kind": "coordinator", "network_id": world.network["id"]},
            headers=bearer(world.coordinator),
        )
    )
    name = f"{world.network['name']} samordning"
    (found,) = [item for item in organisations if item["name"] == name]
    return str(found["id"])


async def set_invoicing(
    client: Client, world: World, organisations: dict[str, str], **network: Any
) -> str:
    """Invoicing details for each organisation (id → its own token), and the network's
    settings with its coordinating organisation invoicing; that organisation's id."""
    invoicer = await coordinator_id(client, world)
    everyone = {invoicer: world.coordinator, **organisations}
    for n, (organisation_id, token) in enumerate(everyone.items()):
        await ok(
            await client.put(
                f"/v1/organisations/{organisation_id}/invoicing",
                json=details_body(f"Org {secrets.token_hex(2)}", ORG_NUMBERS[n % 4]),
                headers=bearer(token),
            )
        )
    await ok(
        await client.put(
            f"/v1/networks/{world.network['id']}/invoicing",
            json={"invoicing_organisation_id": invoicer, **network},
            headers=bearer(world.coordinator),
        )
    )
    return invoicer


async def published_run(
    client: Client, world: World, pool: Pool, settings: Settings
) -> tuple[str, str, str]:
    """One offer of carrots, two co-ops ordering 14 and 6, a van; matched, approved and
    published. The run id, and the second co-op's id and token."""
    await add_van(client, world)
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    other_id, other_token = await add_coop(client, world)
    carrots = world.products["Morötter"]["id"]
    for token, units in ((world.coop, 14), (other_token, 6)):
        await ok(
            await client.post(
                f"/v1/cycles/{world.cycle['id']}/demand-rounds",
                json={"lines": [{"product_id": carrots, "firm_quantity": units}]},
                headers=bearer(token),
            ),
            201,
        )
    run = await close_cycle(client, world)
    assert await run_match(pool, settings, UUID(run["id"])) == "stored"
    for decision in ("approve", "publish"):
        await ok(
            await client.post(f"/v1/runs/{run['id']}/{decision}", headers=bearer(world.coordinator))
        )
    return str(run["id"]), other_id, other_token


async def invoiced_run(
    client: Client, world: World, pool: Pool, settings: Settings, **network: Any
) -> tuple[str, str, str, str]:
    """A published run (``published_run``) whose producer, two co-ops and invoicing
    organisation have their invoicing details (``set_invoicing``, with ``network``'s
    settings): the run id, the second co-op's id and token, and the invoicer's id."""
    run_id, other_id, other_token = await published_run(client, world, pool, settings)
    invoicer = await set_invoicing(
        client,
        world,
        {world.producer_id: world.producer, world.coop_id: world.coop, other_id: other_token},
        **network,
    )
    return run_id, other_id, other_token, invoicer
