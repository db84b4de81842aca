"""A run's holds at other deployments on its page, in a real Chromium, in Swedish then
English: why each hold is where it is is said in the page's language, a peer's own words
quoted as it gave them (screenshots: build/screenshots/run-holds-*.png)."""

from __future__ import annotations

from typing import cast
from uuid import UUID

import httpx
import pytest
from playwright.async_api import Browser, expect

from services.client import SamlastClient
from shared.db.pool import Pool
from tests.support.browser import PHONE, csp_violations, require_chromium, shoot, sign_in
from tests.support.http import Client, bearer, ok
from tests.support.world import add_van, build_world, offer_body, proposed_run

require_chromium()

# what the worker writes (services/matcher/adapters/federation_holds.py)
REFUSED = ("refused", "the other deployment refused: “{said}”", {"said": "not enough packs free"})
GIVEN_UP = (
    "given_up",
    "{error}; given up",
    {"error": {"message": "the request failed ({kind})", "values": {"kind": "ConnectError"}}},
)


@pytest.mark.timeout(300)
async def test_the_run_page_says_why_each_hold_is_where_it_is_in_its_language(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    async with httpx.AsyncClient(base_url=site) as http:
        client = cast(Client, http)
        world = await build_world(client, admin_token)
        await add_van(client, world)
        offers = []
        for product in ("Morötter", "Mjölk"):
            body = offer_body(world, product)
            offers.append(
                await ok(
                    await client.post("/v1/offers", json=body, headers=bearer(world.producer)), 201
                )
            )
        lines = [
            {"product_id": world.products[p]["id"], "firm_quantity": 10} for p in world.products
        ]
        await SamlastClient(client, world.coop).submit_demand(world.cycle["id"], lines)
        run = await proposed_run(client, world)
    # the two offers stand for mirrors of Samlast Gävleborg's: one refused, one unanswered
    async with pool.acquire() as conn, conn.transaction():
        peer_id = await conn.fetchval(
            "INSERT INTO peer (name, base_url) VALUES ('Samlast Gävleborg', $1) RETURNING id",
            f"https://gavle-{run['id'][:8]}.example.org",
        )
        for offer, state, (code, message, values) in zip(
            offers, ("refused", "unreachable"), (REFUSED, GIVEN_UP), strict=True
        ):
            await conn.execute(
                "INSERT INTO remote_offer (offer_id, peer_id, remote_offer_id) "
                "VALUES ($1::uuid, $2, gen_random_uuid())",
                offer["id"],
                peer_id,
            )
            await conn.execute(
                "INSERT INTO run_remote_hold (run_id, offer_id, peer_id, packs, state, reason, "
                "reason_code, reason_values) VALUES ($1, $2::uuid, $3, 1, $4, $5, $6, $7)",
                UUID(run["id"]),
                offer["id"],
                peer_id,
                state,
                message,
                code,
                values,
            )
    context = await browser.new_context(locale="sv-SE", viewport=PHONE)
    violations = await csp_violations(context)
    page = await context.new_page()
    await sign_in(page, site, pool, world.coordinator)
    await page.goto(f"{site}/app/runs/{run['id']}")
    holds = page.locator("[data-remote-holds]")
    await expect(holds.locator("[data-hold-reason='refused']")).to_have_text(
        "den andra installationen nekade: ”not enough packs free”"
    )
    await expect(holds.locator("[data-hold-reason='given_up']")).to_have_text(
        "anropet misslyckades (ConnectError); gav upp"
    )
    await shoot(page, "run-holds-sv")
    assert violations == []
    await context.close()
    english = await browser.new_context(locale="en-GB", viewport=PHONE)
    page = await english.new_page()
    await sign_in(page, site, pool, world.coordinator)
    await page.goto(f"{site}/app/runs/{run['id']}")
    holds = page.locator("[data-remote-holds]")
    await expect(holds.locator("[data-hold-reason='refused']")).to_have_text(
        "the other deployment refused: “not enough packs free”"
    )
    await expect(holds.locator("[data-hold-reason='given_up']")).to_have_text(
        "the request failed (ConnectError); given up"
    )
    await shoot(page, "run-holds-en")
    await english.close()
    async with pool.acquire() as conn:  # the deployment's peer: other tests list peers
        await conn.execute("DELETE FROM peer WHERE id = $1", peer_id)
