"""A coordinator sets up a network in a real Chromium: settings, a van added and
retired, a product added after a mistake, and a spreadsheet imported after one bad row.
In Swedish, then English; every page screenshotted at desktop and phone width.
"""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, Dialog, FilePayload, Page, expect

from shared.db.pool import Pool
from tests.support.browser import DESKTOP, csp_violations, require_chromium, shoot, sign_in
from tests.support.http import bearer
from tests.support.world import World, build_world

require_chromium()

BAD_SHEET = (
    "Namn;Enhet;kg per enhet;l per enhet;Temperatur;Kategori\r\n"
    "Palsternacka;kg;1;1,4;;rotfrukter\r\n"
    "Grönkål;påse;0,3;1;;grönsaker\r\n"
).encode("cp1252")
GOOD_SHEET = BAD_SHEET.replace(b"p\xe5se", b"kg")


async def _world(site: str, admin_token: str) -> World:
    async with httpx.AsyncClient(base_url=site) as http:
        return await build_world(http, admin_token)  # type: ignore[arg-type]


def accept_dialogs(page: Page, asked: list[str]) -> None:
    """Say yes to every confirmation, noting what it asked."""

    async def on_dialog(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.on("dialog", on_dialog)


async def test_a_coordinator_sets_up_the_network_from_the_pages(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    world = await _world(site, admin_token)
    network_name = world.network["name"]
    context = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    violations = await csp_violations(context)
    page = await context.new_page()
    asked: list[str] = []
    accept_dialogs(page, asked)
    await sign_in(page, site, pool, world.coordinator)

    # settings, from the dashboard's line for the network
    await (
        page.get_by_role("navigation", name=f"Ställ in {network_name}")
        .get_by_role("link", name="Inställningar")
        .click()
    )
    await expect(page.get_by_role("heading", name="Inställningar")).to_be_visible()
    share = page.get_by_label("Producenternas andel av transporten (%)")
    await page.get_by_label("Namn").fill("Uppsala län och Knivsta")
    await share.fill("tolv")
    await page.get_by_role("button", name="Spara inställningarna").click()
    await expect(page.locator("#e-producer_share_percent")).to_contain_text("procentsats")
    await expect(page.get_by_label("Namn")).to_have_value("Uppsala län och Knivsta")
    await shoot(page, "setup-0-settings-error")
    await share.fill("12,5")
    await page.get_by_label("Hantering (kr per kg)").fill("1,50")
    await page.get_by_role("button", name="Spara inställningarna").click()
    await expect(page.get_by_role("status")).to_contain_text("inställningarna sparade")
    await expect(share).to_have_value("12,5")
    await shoot(page, "setup-1-settings")
    async with httpx.AsyncClient(base_url=site) as http:
        network = (
            await http.get(f"/v1/networks/{world.network['id']}", headers=bearer(world.coordinator))
        ).json()
    assert network["name"] == "Uppsala län och Knivsta"
    assert network["producer_share_permille"] == 125
    assert network["transport_handling_ore_per_kg"] == 150

    # a van, added and retired
    await page.get_by_role("link", name="Fordon").click()
    add = page.get_by_role("region", name="Lägg till ett fordon")
    await add.get_by_label("Namn").fill("Kylbilen")
    await add.get_by_label("Kapacitet (kg)").fill("1 200")
    await add.get_by_label("Kapacitet (liter)").fill("8000")
    await add.get_by_label("Kan frakta kylt och fryst").check()
    await add.get_by_label("Latitud").fill("59,86")
    await add.get_by_label("Longitud").fill("17,64")
    await add.get_by_label("Kostnad per km (kr)").fill("4,50")
    await add.get_by_role("button", name="Lägg till fordonet").click()
    van = page.locator("[data-vehicle='Kylbilen']")
    await expect(van).to_contain_text("1 200 kg")
    await expect(van).to_contain_text("4,50 kr per km")
    await shoot(page, "setup-2-vehicles")
    await van.get_by_role("button", name="Ta ur bruk").click()
    await expect(page.get_by_role("status")).to_contain_text("fordonet taget ur bruk")
    await expect(van).to_have_count(0)
    assert asked == ["Ta Kylbilen ur bruk? Senare körningar använder det inte."]

    # a product: a mistake first, the error beside its field and the values kept
    await page.get_by_role("link", name="Sortiment").click()
    add = page.get_by_role("region", name="Lägg till en vara")
    await add.get_by_label("Namn").fill("Rödlök")
    await add.get_by_label("Gram per enhet").fill("ett kilo")
    await add.get_by_label("Milliliter per enhet").fill("1600")
    await add.get_by_label("Kategori").select_option(label="rotfrukter")
    await add.get_by_role("button", name="Lägg till varan").click()
    await expect(add.locator("#e-grams_per_unit")).to_contain_text("helt antal gram")
    await expect(add.get_by_label("Namn")).to_have_value("Rödlök")
    await expect(add.get_by_label("Milliliter per enhet")).to_have_value("1600")
    await expect(add.get_by_label("Kategori")).to_have_value("rotfrukter")
    await shoot(page, "setup-3-product-error")
    await add.get_by_label("Gram per enhet").fill("1000")
    await add.get_by_role("button", name="Lägg till varan").click()
    await expect(page.locator("[data-product='Rödlök']")).to_contain_text("rotfrukter")

    # a spreadsheet with one bad row: shown, nothing imported; then a good one
    upload = page.get_by_role("region", name="Importera från ett kalkylark")
    await upload.get_by_label("CSV-fil").set_input_files(
        files=FilePayload(name="sortiment.csv", mimeType="text/csv", buffer=BAD_SHEET)
    )
    await upload.get_by_role("button", name="Importera").click()
    await expect(page.locator("[data-row='2']")).to_contain_text("enhet")
    await expect(page.locator("[data-row='1']")).to_have_count(0)
    await expect(page.locator("[data-product='Palsternacka']")).to_have_count(0)
    await shoot(page, "setup-4-import-error")
    await upload.get_by_label("CSV-fil").set_input_files(
        files=FilePayload(name="sortiment.csv", mimeType="text/csv", buffer=GOOD_SHEET)
    )
    await upload.get_by_role("button", name="Importera").click()
    await expect(page.get_by_role("status")).to_contain_text("varorna importerade")
    await expect(page.locator("[data-product='Grönkål']")).to_contain_text("300 g")
    await expect(page.locator("[data-product='Palsternacka']")).to_be_visible()

    # and in English
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", name="Catalogue")).to_be_visible()
    await expect(page.locator("[data-product='Rödlök']")).to_contain_text("root vegetables")
    await shoot(page, "setup-5-catalogue-en")
    await page.get_by_role("link", name="Vehicles").click()
    await expect(page.get_by_text("No vehicles yet.")).to_be_visible()
    await shoot(page, "setup-6-vehicles-en")
    assert violations == []
    await context.close()


async def test_the_dashboard_links_each_network_setup_on_a_phone(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    world = await _world(site, admin_token)
    context = await browser.new_context(locale="en-GB", viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, site, pool, world.coordinator)
    await expect(page).to_have_url(re.compile(r"/app/dashboard$"))
    nav = page.get_by_role("navigation", name=f"Set up {world.network['name']}")
    await expect(nav.get_by_role("link")).to_have_text(
        ["Members", "Settings", "Vehicles", "Catalogue", "Producers"]
    )
    await shoot(page, "setup-7-dashboard")
    await context.close()
