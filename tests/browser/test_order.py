"""The co-op's order page in a real Chromium, Swedish and English, desk and phone: the
offers behind each product, a mistake shown beside its field with everything typed kept,
1,5 kg of a cheese sold in 500 g units, the running total as the person types, and two
lines of one product. Screenshots: build/screenshots/order-*.png."""

from __future__ import annotations

from typing import cast

import httpx
from playwright.async_api import Browser, expect

from shared.db.pool import Pool
from tests.support.browser import DESKTOP, csp_violations, require_chromium, shoot, sign_in
from tests.support.http import Client, bearer, ok
from tests.support.world import World, build_world, offer_body

require_chromium()


async def _network(http: Client, admin_token: str) -> World:
    """The world's carrots at 12,50 kr/kg, and Västerbottensost in 500 g units at
    219,90 kr/kg."""
    world = await build_world(http, admin_token)
    cheese = await ok(
        await http.post(
            f"/v1/networks/{world.network['id']}/products",
            json={
                "name": "Västerbottensost",
                "unit": "kg",
                "grams_per_unit": 500,
                "ml_per_unit": 600,
                "temperature": "chilled",
            },
            headers=bearer(world.coordinator),
        ),
        201,
    )
    world.products["Västerbottensost"] = cheese
    for body in (
        offer_body(world),
        offer_body(world, "Västerbottensost", pack_units=10, price_per_pack_ore=109_950),
    ):
        await ok(await http.post("/v1/offers", json=body, headers=bearer(world.producer)), 201)
    return world


async def test_a_coop_orders_in_swedish_then_reads_it_in_english(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    async with httpx.AsyncClient(base_url=site) as http:
        world = await _network(cast(Client, http), admin_token)
    context = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    violations = await csp_violations(context)
    page = await context.new_page()
    await sign_in(page, site, pool, world.coop)
    await page.goto(site + "/app/coop")
    cheese = page.locator("fieldset[data-product='Västerbottensost']")
    carrots = page.locator("fieldset[data-product='Morötter']")
    await expect(cheese.locator("[data-offer]")).to_contain_text(
        "219,90 kr per kg, förpackningar om 5 kg, 12 förpackningar lediga"
    )
    await expect(cheese.locator("legend")).to_contain_text("säljs i enheter om 500 g")
    await expect(page.get_by_text("Extra vi tar emot").first).to_be_visible()

    # a cheese amount between its units: refused beside the field, nothing lost
    await cheese.get_by_label("Hur mycket, kg").fill("1,2")
    await carrots.get_by_label("Hur mycket, kg").fill("4")
    await carrots.get_by_label("Extra vi tar emot, kg").fill("2")
    await page.get_by_role("button", name="Spara beställningen").first.click()
    error = cheese.locator(".field-error")
    await expect(error).to_have_text("Västerbottensost säljs i enheter om 500 g: 1 kg eller 1,5 kg")
    await expect(cheese.get_by_label("Hur mycket, kg").first).to_have_attribute(
        "aria-invalid", "true"
    )
    await expect(carrots.get_by_label("Hur mycket, kg").first).to_have_value("4")
    await expect(carrots.get_by_label("Extra vi tar emot, kg").first).to_have_value("2")
    await shoot(page, "order-2-mistake")

    # corrected; a second carrot line only below 10 kr/kg; the total follows the typing
    await cheese.get_by_label("Hur mycket, kg").first.fill("1,5")
    await expect(page.locator("[data-order-total]")).to_have_text("379,85 kr")
    second = carrots.locator("[data-line]").nth(1)
    await second.get_by_label("Hur mycket, kg").fill("5")
    await second.get_by_label("Högsta pris, kr/kg").fill("10")
    await expect(page.locator("[data-unpriced]")).to_be_visible()
    await page.get_by_role("button", name="Spara beställningen").first.click()
    await expect(page.get_by_role("status")).to_contain_text("beställningen är sparad")
    await expect(carrots.locator("[data-line]")).to_have_count(3)  # two lines, one to add
    await expect(cheese.get_by_label("Hur mycket, kg").first).to_have_value("1,5")
    await expect(page.locator("[data-order-total]")).to_have_text("379,85 kr")
    await shoot(page, "order-1-sv")

    english = await browser.new_context(locale="en-GB", viewport=DESKTOP)
    english_violations = await csp_violations(english)
    page = await english.new_page()
    await sign_in(page, site, pool, world.coop)
    await page.goto(site + "/app/coop")
    cheese = page.locator("fieldset[data-product='Västerbottensost']")
    await expect(cheese.get_by_label("How much, kg").first).to_have_value("1.5")
    await expect(cheese.locator("[data-offer]")).to_contain_text("219.90 kr per kg")
    await expect(page.locator("[data-order-total]")).to_have_text("379.85 kr")
    await cheese.get_by_label("How much, kg").first.fill("2")
    await expect(page.locator("[data-order-total]")).to_have_text("489.80 kr")
    await shoot(page, "order-3-en")
    assert violations == []
    assert english_violations == []
    await context.close()
    await english.close()
