"""The weekly schedule and the demand signal in a real Chromium, in Swedish: a coordinator
sets the schedule from the dashboard and sees the next cycles it opens on the network's
clocks; a producer, on a phone, follows the link on its page to what the co-ops want,
with no figure of a product fewer than three co-ops ordered.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import cast
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Browser, expect

from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.browser import DESKTOP, PHONE, csp_violations, require_chromium, shoot, sign_in
from tests.support.demand import COOPS, demanding_network, publish_the_cycle
from tests.support.http import Client
from tests.support.world import build_world, open_cycle, order

require_chromium()

SWEDEN = ZoneInfo("Europe/Stockholm")


async def test_a_coordinator_sets_a_weekly_schedule_and_sees_the_next_openings(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    async with httpx.AsyncClient(base_url=site) as http:
        world = await build_world(cast(Client, http), admin_token)
    context = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    violations = await csp_violations(context)
    page = await context.new_page()
    await sign_in(page, site, pool, world.coordinator)
    await page.get_by_role("link", name="Veckoschema").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Veckoschema för")
    await expect(page.locator("[data-schedule-off]")).to_be_visible()
    # the form starts from the last cycle's days; the coordinator sets a usual week
    await page.get_by_label("Öppna omgångar enligt det här schemat").check()
    await page.get_by_label("Dag då beställningen öppnar").select_option(label="måndag")
    await page.get_by_label("Klockslag då beställningen öppnar").fill("08:00")
    await page.get_by_label("Dag då beställningen stänger").select_option(label="torsdag")
    await page.get_by_label("Klockslag då beställningen stänger").fill("20:00")
    await page.get_by_label("Leveransdag").select_option(label="lördag")
    await page.get_by_role("button", name="Spara schemat").click()
    await expect(page.get_by_role("status")).to_contain_text("schemat är sparat")
    weeks = page.locator("[data-upcoming] tbody tr")
    await expect(weeks).to_have_count(4)
    first = weeks.first
    await expect(first.locator("td").nth(0)).to_have_text(re.compile(r"^mån .* 08:00"))
    await expect(first.locator("td").nth(1)).to_have_text(re.compile(r"^tors .* 20:00$"))
    opens_on = dt.date.fromisoformat(str(await first.get_attribute("data-week")))
    today = dt.datetime.now(SWEDEN).date()
    assert opens_on.isoweekday() == 1
    assert today <= opens_on <= today + dt.timedelta(days=7)
    await shoot(page, "schedule-1-set")
    assert violations == []
    await context.close()


async def test_a_producer_sees_what_the_coops_want_on_a_phone_in_swedish(
    site: str, browser: Browser, admin_token: str, pool: Pool, settings: Settings
) -> None:
    async with httpx.AsyncClient(base_url=site) as http:
        client = cast(Client, http)
        demanding = await demanding_network(client, admin_token)
        await publish_the_cycle(client, pool, settings, demanding)
        world = demanding.world
        world.cycle = await open_cycle(client, world, closes_in_days=3)
        carrots, potatoes = demanding.products["Morötter"], demanding.products["Potatis"]
        for name, units in zip(COOPS[:3], (12, 20, 8), strict=True):
            await order(
                client,
                world.cycle["id"],
                demanding.coops[name],
                [{"product_id": carrots, "firm_quantity": units}],
            )
        await order(
            client,
            world.cycle["id"],
            demanding.coops[COOPS[3]],
            [{"product_id": potatoes, "firm_quantity": 6}],
        )
    context = await browser.new_context(locale="sv-SE", viewport=PHONE)
    violations = await csp_violations(context)
    page = await context.new_page()
    await sign_in(page, site, pool, world.producer)
    await page.get_by_role("link", name="Vad kooperativen vill ha: efterfrågan").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Vad kooperativen i")

    now = page.locator("[data-open-demand]")
    carrot_row = now.locator("tr[data-product='Morötter']")
    await expect(carrot_row.locator("[data-figure=coops]")).to_have_text("3")
    await expect(carrot_row.locator("[data-figure=ordered]")).to_have_text("40\u00a0kg")
    await expect(carrot_row.locator("[data-figure=uncovered]")).to_have_text("allt täckt")
    potato_row = now.locator("tr[data-product='Potatis']")
    await expect(potato_row).to_contain_text("färre än tre kooperativ")
    await expect(potato_row).not_to_contain_text("6")

    last = page.locator("[data-unfilled]")
    await expect(last.locator("tr[data-product='Morötter'] [data-reason]")).to_have_text(
        re.compile(r"15\s+kg: priset över kooperativens gräns \(3 kooperativ\)")
    )
    await expect(last.locator("tr[data-product='Potatis'] [data-reason]")).to_have_text(
        re.compile(r"priset över kooperativens gräns \(färre än tre kooperativ\)")
    )
    await expect(last.locator("tr[data-product='Mjölk']")).to_contain_text(
        "färre än tre kooperativ"
    )
    await shoot(page, "signal-1-producer-phone")
    assert violations == []
    await context.close()
