"""Money through the pages, in a real headless Chromium, in Swedish: after a published
run's delivery the co-op confirms what arrived (a crate of carrots damaged; a mistake
first, shown beside its field); the coordinator issues the run's invoices and the credit
note the crate calls for, each after a page that asks, records a partial payment in
kronor with a decimal comma after a confirmation, and takes the SIE file of the year;
the producer reads its invoice, prints it, takes its PDF and sees what it has to
receive. Every page is checked by axe, at phone width, for Content-Security-Policy
violations, and screenshotted (``build/screenshots/money-*``).
"""

from __future__ import annotations

import asyncio
import re
from typing import cast
from uuid import UUID

import httpx
from playwright.async_api import Browser, Page, expect

from services.api.web import i18n
from shared.db.pool import Pool
from tests.support.browser import DESKTOP, SHOTS, csp_violations, require_chromium, shoot, sign_in
from tests.support.http import Client, bearer, ok
from tests.support.money import set_invoicing
from tests.support.world import World, add_coop, add_van, build_world, close_cycle, offer_body

require_chromium()


async def _delivered(site: str, admin_token: str, pool: Pool) -> tuple[World, str, str]:
    """Carrots in packs of 10 for two co-ops (14 and 6 kg), published, delivered today,
    every party with its invoicing details. The world, the run's id, the second co-op's
    token."""
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        client = cast(Client, http)
        world = await build_world(client, admin_token)
        await add_van(client, world)
        await ok(
            await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
            201,
        )
        other_id, other = await add_coop(client, world)
        carrots = world.products["Morötter"]["id"]
        for token, units in ((world.coop, 14), (other, 6)):
            body = {"lines": [{"product_id": carrots, "firm_quantity": units}]}
            path = f"/v1/cycles/{world.cycle['id']}/demand-rounds"
            await ok(await client.post(path, json=body, headers=bearer(token)), 201)
        run = await close_cycle(client, world)
        coordinator = bearer(world.coordinator)
        for _ in range(600):  # a bound, not a timing: the run finishes in seconds
            run = await ok(await client.get(f"/v1/runs/{run['id']}", headers=coordinator))
            if run["state"] == "proposed":
                break
            await asyncio.sleep(0.1)
        assert run["state"] == "proposed", run
        for step in ("approve", "publish"):
            await ok(await client.post(f"/v1/runs/{run['id']}/{step}", headers=coordinator))
        await set_invoicing(
            client,
            world,
            {world.producer_id: world.producer, world.coop_id: world.coop, other_id: other},
        )
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE cycle SET delivery_date = current_date WHERE id = $1", UUID(world.cycle["id"])
        )
    return world, str(run["id"]), other


async def _sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Logga ut").click()


async def test_a_delivery_from_receiving_to_payment_in_swedish(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    world, run_id, _other = await _delivered(site, admin_token, pool)
    context = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    violations = await csp_violations(context)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # the co-op: a crate of carrots arrived damaged; 15 is more than the 14 planned
    await sign_in(page, site, pool, world.coop)
    await page.get_by_role("link", name="Bekräfta vad som kom").click()
    await expect(page.get_by_role("heading", name="Bekräfta leveransen")).to_be_visible()
    line = page.locator("fieldset[data-line='Morötter']")
    await line.get_by_label("skadat").check()
    await line.get_by_label("Skadade enheter").fill("15")
    await line.get_by_label("Anteckning (valfri)").fill("en back krossad")
    await page.get_by_role("button", name="Bekräfta vad som kom").click()
    await expect(line.locator(".field-error")).to_contain_text("högst det planerade")
    await expect(line.get_by_label("Anteckning (valfri)")).to_have_value("en back krossad")
    await shoot(page, "money-01-receiving-mistake")
    await line.get_by_label("Skadade enheter").fill("4")
    await page.get_by_role("button", name="Bekräfta vad som kom").click()
    await expect(page.get_by_role("status")).to_contain_text("leveransen bekräftad")
    await expect(line.get_by_label("Skadade enheter")).to_have_value("4")
    await shoot(page, "money-02-receiving")
    await _sign_out(page)

    # the coordinator: from the dashboard to the run's invoices; issuing asks first
    await sign_in(page, site, pool, world.coordinator)
    await page.locator("a[data-run-money]").first.click()
    await expect(page.get_by_role("heading", name="Leveransens fakturor")).to_be_visible()
    await page.get_by_role("link", name="Utfärda fakturorna").click()
    await expect(page.get_by_role("heading", name="Utfärda fakturorna?")).to_be_visible()
    await shoot(page, "money-03-issue-confirm")
    await page.get_by_role("button", name="Ja, utfärda fakturorna").click()
    await expect(page.get_by_role("status")).to_contain_text("fakturorna utfärdade")
    await page.get_by_role("link", name="Utfärda de kreditfakturor mottagningen kräver").click()
    await page.get_by_role("button", name="Ja, utfärda kreditfakturorna").click()
    await expect(page.get_by_role("status")).to_contain_text("kreditfakturorna utfärdade")
    await expect(page.locator("tr[data-kind=credit_note]")).to_have_count(1)
    await expect(page.locator("[data-settlement]")).to_be_visible()
    await shoot(page, "money-04-run-invoices")

    # a partial payment of the co-op's goods invoice: 100,50 kr, confirmed first
    async with httpx.AsyncClient(base_url=site) as http:
        invoices = await ok(
            await http.get(f"/v1/runs/{run_id}/invoices", headers=bearer(world.coordinator))
        )
    (goods,) = [
        i
        for i in invoices
        if i["buyer_id"] == world.coop_id and i["purpose"] == "goods" and i["kind"] == "invoice"
    ]
    await page.locator(f"a[href='/app/invoices/{goods['id']}/payment']").click()
    await expect(page.get_by_role("heading", name="Registrera en betalning")).to_be_visible()
    await page.get_by_label("delbetald: beloppet nedan").check()
    await page.get_by_label("Betalt belopp, kr").fill("100,50")
    await shoot(page, "money-05-payment")
    await page.get_by_role("button", name="Fortsätt").click()
    await expect(page.locator("[data-confirm-text]")).to_contain_text("100,50 kr betalt")
    await shoot(page, "money-06-payment-confirm")
    await page.get_by_role("button", name="Ja, registrera betalningen").click()
    await expect(page.get_by_role("status")).to_contain_text("betalningen registrerad")
    row = page.locator(f"tr[data-invoice='{goods['number']}'][data-purpose=goods]").filter(
        has_text=goods["buyer"]["legal_name"]
    )
    await expect(row.locator("[data-status]").first).to_have_text("delbetald")

    # ... and the SIE file of the year from the ledger page
    await page.get_by_role("link", name="Huvudbok och SIE").click()
    await expect(page.get_by_role("heading", name="Huvudbok", exact=True)).to_be_visible()
    await shoot(page, "money-07-ledger")
    async with page.expect_download() as download:
        await page.get_by_role("button", name="Ladda ner SIE-filen").click()
    sie = await (await download.value).path()
    assert sie.read_bytes().startswith(b"#FLAGGA")
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "money-07-ledger.se").write_bytes(sie.read_bytes())
    await _sign_out(page)

    # the producer: its invoices, what it has to receive, the invoice printed and as PDF
    await sign_in(page, site, pool, world.producer)
    await page.get_by_role("link", name="Våra fakturor").click()
    await expect(page.get_by_role("heading", name="Våra fakturor")).to_be_visible()
    sold = [i for i in invoices if i["issuer_id"] == world.producer_id]
    owed = sum(i["total_ore"] for i in sold) - 10_050  # the credit note's total is negative
    await expect(page.locator("[data-figure=owed]")).to_have_text(i18n.kronor(owed, "sv"))
    await expect(page.locator("tr[data-kind=credit_note]")).to_have_count(1)
    await shoot(page, "money-08-producer-invoices")
    pdf = await page.request.get(f"{site}/app/invoices/{goods['id']}/invoice.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    (SHOTS / "money-09-invoice.pdf").write_bytes(await pdf.body())
    await page.locator(f"a[href='/app/invoices/{goods['id']}']").first.click()
    await expect(page.get_by_role("heading", name=f"Faktura {goods['number']}")).to_be_visible()
    await expect(page.get_by_text(goods["ocr_reference"], exact=True)).to_be_visible()
    await shoot(page, "money-09-invoice")
    await page.goto(f"{site}/app/invoicing")
    await expect(page.get_by_label("Bankgiro")).to_have_value(re.compile(r"\d+-\d{4}"))
    await shoot(page, "money-10-invoicing")
    assert errors == []
    assert violations == []
    await context.close()
