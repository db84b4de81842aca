"""The printable documents in a real headless Chromium, each opened as its reader, in
Swedish: the producer's pick list from its page, the co-op's delivery note from its page,
the coordinator's route sheet from the run page. Each is checked by axe, screenshotted at
desktop and phone width into ``build/screenshots/``, breaks no Content-Security-Policy
rule, and links to its PDF, which Chromium fetches as a PDF.
"""

from __future__ import annotations

import asyncio
import re
from typing import cast

import httpx
from playwright.async_api import Browser, Page, expect

from services.api.web import i18n
from shared.db.pool import Pool
from tests.support.browser import (
    DESKTOP,
    SHOTS,
    csp_violations,
    require_chromium,
    shoot,
    sign_in,
)
from tests.support.http import Client, bearer, ok
from tests.support.world import World, add_coop, add_van, build_world, close_cycle, offer_body

require_chromium()


async def _published(site: str, admin_token: str) -> tuple[World, str]:
    """Carrots in packs of 10 for two co-ops (14 and 6 kg), Luthagen's milk unoffered;
    matched, approved and published. The world and the run's id."""
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        client = cast(Client, http)
        world = await build_world(client, admin_token)
        await add_van(client, world)
        await ok(
            await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
            201,
        )
        _, other = await add_coop(client, world)
        for token, organisation_id, phone in (
            (world.producer, world.producer_id, "018-12 34 56"),
            (world.coop, world.coop_id, "070-123 45 67"),
        ):
            path = f"/v1/organisations/{organisation_id}"
            etag = (await client.get(path, headers=bearer(token))).headers["etag"]
            await ok(
                await client.patch(
                    path,
                    json={"contact_phone": phone},
                    headers={**bearer(token), "If-Match": etag},
                )
            )
        carrots, milk = world.products["Morötter"]["id"], world.products["Mjölk"]["id"]
        for token, lines in (
            (world.coop, [(carrots, 14), (milk, 6)]),
            (other, [(carrots, 6)]),
        ):
            body = {"lines": [{"product_id": p, "firm_quantity": n} for p, n in lines]}
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
        return world, str(run["id"])


async def _pdf_link_answers_a_pdf(page: Page, site: str, name: str) -> None:
    """The page's PDF link answers a PDF, kept beside the screenshots for a person to read."""
    href = await page.locator("a[data-pdf]").get_attribute("href")
    assert href is not None
    answer = await page.request.get(site + href)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    body = await answer.body()
    assert body.startswith(b"%PDF")
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{name}.pdf").write_bytes(body)


async def test_each_reader_opens_its_document_in_swedish(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    world, run_id = await _published(site, admin_token)
    context = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    violations = await csp_violations(context)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # the producer: from its page to the pick list, split pack by pack, with labels
    await sign_in(page, site, pool, world.producer)
    await page.get_by_role(
        "link", name="Plocklista att skriva ut, med etiketter till backarna"
    ).click()
    await expect(page.get_by_role("heading", name="Plocklista · Ekeby Gård")).to_be_visible()
    await expect(page.locator("[data-offer] h3")).to_have_text(
        "Morötter: 2 förpackningar à 10 kg — Matkassen Luthagen 14 kg, Matkassen Svartbäcken 6 kg"
    )
    await expect(page.locator("[data-label]")).to_have_count(2)
    await expect(page.locator("[data-figure=value]")).to_have_text(i18n.kronor(25000, "sv"))
    await shoot(page, "10-pick-list")
    await _pdf_link_answers_a_pdf(page, site, "10-pick-list")
    await page.get_by_role("link", name="Tillbaka").click()
    await expect(page).to_have_url(re.compile(r"/app/producer$"))
    await page.get_by_role("button", name="Logga ut").click()

    # the co-op: its delivery note, what did not come and why, the transport share
    await sign_in(page, site, pool, world.coop)
    await page.get_by_role("link", name="Följesedel att skriva ut").click()
    await expect(
        page.get_by_role("heading", name="Följesedel · Matkassen Luthagen")
    ).to_be_visible()
    async with httpx.AsyncClient(base_url=site) as http:
        (note,) = await ok(
            await http.get(f"/v1/runs/{run_id}/delivery-notes", headers=bearer(world.coop))
        )
    await expect(page.locator("[data-figure=goods]")).to_have_text(
        i18n.kronor(note["goods_ore"], "sv")
    )
    await expect(page.locator("[data-figure=share]")).to_have_text(
        i18n.kronor(note["transport_share_ore"], "sv")
    )
    total = note["goods_ore"] + note["transport_share_ore"]
    await expect(page.locator("[data-figure=total]")).to_have_text(i18n.kronor(total, "sv"))
    await expect(page.locator("[data-short]")).to_contain_text("ingen erbjuder varan")
    await shoot(page, "11-delivery-note")
    await _pdf_link_answers_a_pdf(page, site, "11-delivery-note")
    await page.get_by_role("link", name="Tillbaka").click()
    await page.get_by_role("button", name="Logga ut").click()

    # the coordinator: a route sheet for the driver, from the run page
    await sign_in(page, site, pool, world.coordinator)
    await page.goto(f"{site}/app/runs/{run_id}")
    await page.locator("details.route summary").first.click()
    await page.locator("a[href$='/sheet']").first.click()
    await expect(
        page.get_by_role("heading", name=re.compile(r"Körlista 1 · Kylbil"))
    ).to_be_visible()
    await expect(page.locator("[data-stop]").first).to_contain_text("Start")
    await expect(page.get_by_text("Lämna hos Matkassen Luthagen")).to_be_visible()
    await expect(page.get_by_text("Luthagsesplanaden 5")).to_be_visible()
    await expect(page.get_by_role("link", name="018-12 34 56")).to_have_attribute(
        "href", "tel:018-123456"
    )
    await shoot(page, "12-route-sheet")
    await _pdf_link_answers_a_pdf(page, site, "12-route-sheet")
    # and everyone's delivery notes, a note each
    await page.goto(f"{site}/app/runs/{run_id}/delivery-note")
    await expect(page.locator("[data-delivery-note]")).to_have_count(2)
    await shoot(page, "13-all-delivery-notes")
    assert errors == []
    assert violations == []
    await context.close()
