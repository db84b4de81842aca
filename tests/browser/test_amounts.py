"""A product sold in small units on the run page, in a real Chromium: Västerbottensost in
500 g units reads "1,5 kg" in the pack's split, the fill and the route's loads, at
desktop and phone width (screenshots in ``build/screenshots/``)."""

from __future__ import annotations

import asyncio
from typing import cast

import httpx
import pytest
from playwright.async_api import Browser, expect

from services.client import SamlastClient
from shared.db.pool import Pool
from tests.support.browser import PHONE, csp_violations, require_chromium, shoot, sign_in
from tests.support.http import Client, bearer, ok
from tests.support.world import add_coop, add_van, build_world, offer_body

require_chromium()


@pytest.mark.timeout(300)
async def test_the_run_page_reads_small_units_in_kg(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    async with httpx.AsyncClient(base_url=site) as http:
        client = cast(Client, http)
        world = await build_world(client, admin_token)
        coordinator = SamlastClient(client, world.coordinator)
        await add_van(client, world)
        cheese = await coordinator.create_product(
            world.network["id"],
            {
                "name": "Västerbottensost",
                "unit": "kg",
                "grams_per_unit": 500,
                "ml_per_unit": 600,
                "temperature": "chilled",
            },
        )
        offer = offer_body(world, pack_units=4, price_per_pack_ore=16000)
        offer["listings"][0]["product_id"] = cheese["id"]
        await ok(await client.post("/v1/offers", json=offer, headers=bearer(world.producer)), 201)
        _, other = await add_coop(client, world)
        for token, units in ((world.coop, 3), (other, 1)):  # 1,5 kg and 0,5 kg
            lines = [{"product_id": cheese["id"], "firm_quantity": units}]
            await SamlastClient(client, token).submit_demand(world.cycle["id"], lines)
        await coordinator.close_cycle(world.cycle["id"])
        for _ in range(240):
            (run,) = await coordinator.runs(world.cycle["id"])
            if run["state"] not in ("queued", "running"):
                break
            await asyncio.sleep(0.5)
        assert run["state"] == "proposed", run
    context = await browser.new_context(locale="sv-SE", viewport=PHONE)
    violations = await csp_violations(context)
    page = await context.new_page()
    await sign_in(page, site, pool, world.coordinator)
    await page.goto(f"{site}/app/runs/{run['id']}")
    product = page.locator("[data-product='Västerbottensost']")
    await expect(product.locator("[data-fill]")).to_contain_text("2 kg av 2 kg fyllt")
    rows = product.locator("[data-split] tbody tr")
    await expect(rows.filter(has_text="Matkassen Luthagen")).to_contain_text("1,5 kg")
    await expect(rows.filter(has_text="Matkassen Svartbäcken")).to_contain_text("0,5 kg")
    await expect(page.locator("[data-figure='demanded']")).to_have_text("2 kg")
    await expect(page.locator("ul.goods").first).to_contain_text("kg")
    await shoot(page, "4c-run-small-units")
    assert violations == []
    await context.close()
