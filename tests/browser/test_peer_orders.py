"""The producer's page of orders from other Samlast deployments in a real Chromium, on a
phone, in Swedish then English: an order of two packs that a peer's co-op held and
ordered, accepted after a confirmation (declining it changes nothing), the new state
shown and queued for the peer; another producer's order is not found, said in the page's
language without its id. Screenshots: build/screenshots/peer-orders-*.png."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import cast
from uuid import UUID

import httpx
from playwright.async_api import Browser, Dialog, Page, expect

from shared.db import holds as holds_db
from shared.db import orders_federation as orders_db
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.browser import PHONE, csp_violations, require_chromium, shoot, sign_in
from tests.support.federation import forget_peer
from tests.support.http import Client, bearer, ok
from tests.support.world import World, build_world, offer_body

require_chromium()


async def _ordered(site: str, admin_token: str, pool: Pool) -> tuple[World, UUID]:
    """The world's producer shares with Samlast Gävleborg, whose co-op held and ordered 2
    packs of its carrots (as B's endpoints write it): the world and the order's id."""
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        client = cast(Client, http)
        world = await build_world(client, admin_token)
        offer = await ok(
            await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
            201,
        )
    order_id, hold_id = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        peer_id = await conn.fetchval(
            "INSERT INTO peer (name, base_url) VALUES ('Samlast Gävleborg', $1) RETURNING id",
            f"https://gavle-{order_id.hex[:8]}.example.org",
        )
        await conn.execute(
            "UPDATE offer SET packs_reserved = packs_reserved + 2 WHERE id = $1::uuid",
            offer["id"],
        )
        await holds_db.insert_hold(conn, hold_id, peer_id, UUID(offer["id"]), 2, 3600)
        assert await holds_db.confirm_hold(conn, hold_id, peer_id) is not None
        await orders_db.insert_order(
            conn,
            order_id,
            peer_id,
            UUID(world.producer_id),
            "Gävle matnät",
            dt.date.today() + dt.timedelta(days=3),
            {"@type": "dfc-b:Order"},
            [(hold_id, UUID(offer["id"]), 2)],
        )
    return world, order_id


async def _state_messages(pool: Pool, order_id: UUID) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload->>'state' AS state FROM outbox_message "
            "WHERE kind = 'federation_order_state' AND payload->>'order_id' = $1",
            str(order_id),
        )
    return [row["state"] for row in rows]


async def test_a_producer_accepts_a_peer_order_on_a_phone_after_a_confirmation(
    site: str, browser: Browser, admin_token: str, pool: Pool, settings: Settings
) -> None:
    world, order_id = await _ordered(site, admin_token, pool)
    try:
        await _accepted_on_a_phone(site, browser, pool, world, order_id)
    finally:  # its accepted message stays queued for a peer that can't be reached
        async with pool.acquire() as conn:
            peer_id = await conn.fetchval(
                "SELECT peer_id FROM federation_order WHERE id = $1", order_id
            )
        await forget_peer(pool, settings, peer_id)


async def _accepted_on_a_phone(
    site: str, browser: Browser, pool: Pool, world: World, order_id: UUID
) -> None:
    context = await browser.new_context(locale="sv-SE", viewport=PHONE)
    violations = await csp_violations(context)
    page = await context.new_page()
    await sign_in(page, site, pool, world.producer)
    await page.goto(site + "/app/producer")
    await page.get_by_role("link", name="Beställningar från andra Samlast").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Beställningar från andra Samlast"
    )
    order = page.locator(f"[data-peer-order='{order_id}']")
    await expect(order.get_by_role("heading")).to_contain_text("Samlast Gävleborg")
    await expect(order.locator("[data-peer-order-line]")).to_contain_text("Morötter")
    await expect(order.locator("[data-order-state]")).to_have_attribute(
        "data-order-state", "received"
    )
    await shoot(page, "peer-orders-1-received")

    # the confirmation, in Swedish; "cancel" leaves the order as it was
    asked: asyncio.Queue[str] = asyncio.Queue()

    async def decline(dialog: Dialog) -> None:
        await asked.put(dialog.message)
        await dialog.dismiss()

    page.once("dialog", decline)
    await order.get_by_role("button", name="Acceptera beställningen").click()
    assert "går inte att ångra" in await asyncio.wait_for(asked.get(), 10)
    await expect(order.locator("[data-order-state]")).to_have_attribute(
        "data-order-state", "received"
    )
    assert await _state_messages(pool, order_id) == []

    page.once("dialog", lambda dialog: dialog.accept())
    await order.get_by_role("button", name="Acceptera beställningen").click()
    await expect(page.get_by_role("status")).to_contain_text("beställningen accepterad")
    await expect(order.locator("[data-order-state]")).to_have_attribute(
        "data-order-state", "accepted"
    )
    await expect(order.get_by_role("button")).to_have_count(0)
    assert await _state_messages(pool, order_id) == ["accepted"]
    await shoot(page, "peer-orders-2-accepted")
    await _not_found(
        page, uuid.uuid4(), "Här finns ingenting", "finns inte bland era beställningar från andra"
    )
    await shoot(page, "peer-orders-2-not-found-sv")

    # in English; someone else's order is not found, in English
    english = await browser.new_context(locale="en-GB", viewport=PHONE)
    violations += await csp_violations(english)
    page = await english.new_page()
    await sign_in(page, site, pool, world.producer)
    await page.goto(site + "/app/producer/peer-orders")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Orders from other Samlast")
    order = page.locator(f"[data-peer-order='{order_id}']")
    await expect(order.locator("[data-order-state]")).to_have_text("accepted")
    await expect(order).to_contain_text("ordered ")
    await expect(order).not_to_contain_text("Ekeby Gård")  # whose: said to the admin only
    await shoot(page, "peer-orders-3-en")
    await _not_found(
        page, uuid.uuid4(), "There is nothing here", "not among your orders from other Samlast"
    )
    await shoot(page, "peer-orders-4-not-found-en")
    assert violations == []
    await context.close()
    await english.close()


async def _not_found(page: Page, order_id: UUID, headline: str, words: str) -> None:
    """Accepting an order that is not the producer's, as a stale or forged form would."""
    await page.evaluate(
        """(action) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            document.body.append(form);
            form.submit();
        }""",
        f"/app/producer/peer-orders/{order_id}/accept",
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text(headline)
    detail = page.locator("[data-detail]")
    await expect(detail).to_contain_text(words)
    await expect(detail).not_to_contain_text(str(order_id))
