"""The producer's offer form refused, in a real Chromium, in Swedish: a summary on top says
nothing was saved and links to the field in error, the error is beside the field, and
nothing typed is lost; the product menu says the size of a product's unit (screenshots:
build/screenshots/offer-form-*.png)."""

from __future__ import annotations

import datetime as dt
from typing import cast

import httpx
from playwright.async_api import Browser, expect

from shared.db.pool import Pool
from tests.support.browser import PHONE, csp_violations, require_chromium, shoot, sign_in
from tests.support.http import Client
from tests.support.world import as_coordinator, build_world

require_chromium()


async def test_a_refused_offer_is_summed_up_on_top_and_each_link_leads_to_its_field(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    async with httpx.AsyncClient(base_url=site) as http:
        client = cast(Client, http)
        world = await build_world(client, admin_token)
        await as_coordinator(client, world).create_product(
            world.network["id"],
            {"name": "Ost", "unit": "kg", "grams_per_unit": 500, "ml_per_unit": 0},
        )
    context = await browser.new_context(locale="sv-SE", viewport=PHONE)
    violations = await csp_violations(context)
    page = await context.new_page()
    await sign_in(page, site, pool, world.producer)
    await page.goto(site + "/app/producer")
    offer = page.locator("form[data-new-offer]")
    await offer.get_by_label("Vara").select_option(
        label="Ost (kg, säljs i enheter om 500 g)"  # a unit's size said, not just "(kg)"
    )
    await offer.get_by_label("Förpackningens storlek").fill("5")
    await offer.get_by_label("Tillgängliga förpackningar").fill("4")
    await offer.get_by_label("Pris per förpackning, kr").fill("12,505")
    until = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    await offer.get_by_label("Giltigt till").fill(until)
    await offer.get_by_label("Anteckning (valfri)").fill("Tvättade")
    await offer.get_by_role("button", name="Lägg ut erbjudandet").click()

    summary = page.locator("[data-offer-errors]")
    await expect(summary).to_contain_text("Inget sparades")
    price = offer.get_by_label("Pris per förpackning, kr")
    await expect(price).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#e-price_per_pack")).to_have_text(
        "”Pris per förpackning, kr” har fler än två decimaler"
    )
    await expect(price).to_have_value("12,505")  # nothing typed is lost
    await expect(offer.get_by_label("Anteckning (valfri)")).to_have_value("Tvättade")
    await expect(offer.get_by_label("Giltigt till")).to_have_value(until)
    await shoot(page, "offer-form-1-refused")
    await summary.get_by_role("link").click()
    await expect(price).to_be_focused()
    await shoot(page, "offer-form-2-at-the-field")
    assert violations == []
    await context.close()
